// Command interop plays a Skeji Go service on segmentio/kafka-go, for the interoperability
// tests in test/interop/. It writes records the way the Go package (pkg/kafka) writes them,
// reads records back the way its consumers see them, and computes the partitions kafka-go's
// own balancers pick. Every command reads one JSON request on stdin and writes one JSON answer
// on stdout; errors go to stderr with a non-zero exit status.
//
//	interop partitions   {"balancer":"hash"|"murmur2","keys":[base64...],"counts":[1,3,...]}
//	                     -> {"partitions":{"3":[p0,p1,...],...}}
//	interop produce      {"brokers":[...],"topic":"t","records":[record...]}
//	                     -> {"written":n}
//	interop consume      {"brokers":[...],"topic":"t","count":n,"timeoutMs":ms}
//	                     -> {"records":[{partition,offset,key,value,headers,...}...]}
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
)

func main() {
	if len(os.Args) != 2 {
		fail(errors.New("usage: interop partitions|produce|consume < request.json"))
	}
	var err error
	switch os.Args[1] {
	case "partitions":
		err = run(partitions)
	case "produce":
		err = run(produce)
	case "consume":
		err = run(consume)
	default:
		err = fmt.Errorf("unknown command %q (expected partitions, produce or consume)", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "interop:", err)
	os.Exit(1)
}

// run decodes the request on stdin into Req, calls f and writes its answer as JSON on stdout.
func run[Req any, Res any](f func(Req) (Res, error)) error {
	var req Req
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid request: %w", err)
	}
	res, err := f(req)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// ---- partitions -------------------------------------------------------------------------------

type partitionsRequest struct {
	// "hash": kafka.Hash, the balancer the Go services use (FNV-1a); "murmur2": kafka.Murmur2Balancer,
	// the Java client's partitioner.
	Balancer string `json:"balancer"`
	// Keys as bytes (base64 in JSON). A nil key would be balanced round robin, so none is accepted.
	Keys   [][]byte `json:"keys"`
	Counts []int    `json:"counts"`
}

type partitionsResponse struct {
	Partitions map[string][]int `json:"partitions"`
}

func partitions(req partitionsRequest) (partitionsResponse, error) {
	var balancer kafka.Balancer
	switch req.Balancer {
	case "hash", "":
		balancer = &kafka.Hash{}
	case "murmur2":
		balancer = kafka.Murmur2Balancer{}
	default:
		return partitionsResponse{}, fmt.Errorf("unknown balancer %q (expected hash or murmur2)", req.Balancer)
	}
	out := partitionsResponse{Partitions: map[string][]int{}}
	for _, n := range req.Counts {
		if n < 1 {
			return out, fmt.Errorf("invalid partition count %d", n)
		}
		// What kafka.Writer passes a balancer: the partition ids 0..n-1.
		ids := make([]int, n)
		for i := range ids {
			ids[i] = i
		}
		picked := make([]int, len(req.Keys))
		for i, key := range req.Keys {
			if key == nil {
				key = []byte{} // JSON "" decodes to a nil slice; the Go services write "" as an empty key
			}
			picked[i] = balancer.Balance(kafka.Message{Key: key}, ids...)
		}
		out.Partitions[strconv.Itoa(n)] = picked
	}
	return out, nil
}

// ---- produce ----------------------------------------------------------------------------------

type produceRequest struct {
	Brokers []string        `json:"brokers"`
	Topic   string          `json:"topic"`
	Records []produceRecord `json:"records"`
}

// produceRecord is one message as a Go service builds it with kafka.NewMessage().With...().Build().
type produceRecord struct {
	Key            *string `json:"key"`
	EventType      string  `json:"eventType"`
	EventID        string  `json:"eventId"`
	CorrelationID  string  `json:"correlationId"`
	ConversationID string  `json:"conversationId"`
	SchemaVersion  string  `json:"schemaVersion"`
	Source         string  `json:"source"`
	// The `timestamp` header's instant (RFC 3339) and the zone it is written in: "" is UTC ("Z"),
	// "+02:00" a fixed offset as time.Time.Format(time.RFC3339) writes local time.
	Time       string `json:"time"`
	TimeOffset string `json:"timeOffset"`
	// The value: JSON (marshalled by encoding/json as the Go package does), or bytes as they are
	// (base64 in the request), e.g. an Avro body.
	Value      json.RawMessage `json:"value"`
	ValueBytes []byte          `json:"valueBytes"`
	// Marshal empty JSON arrays and objects of Value as Go's nil slices and maps are: as null.
	NilEmpty bool `json:"nilEmpty"`
	// More headers, written after the standard ones.
	Headers map[string]string `json:"headers"`
}

type produceResponse struct {
	Written int `json:"written"`
}

func produce(req produceRequest) (produceResponse, error) {
	if req.Topic == "" || len(req.Brokers) == 0 {
		return produceResponse{}, errors.New("produce needs brokers and topic")
	}
	messages := make([]kafka.Message, 0, len(req.Records))
	for i, r := range req.Records {
		m, err := message(r)
		if err != nil {
			return produceResponse{}, fmt.Errorf("record %d: %w", i, err)
		}
		messages = append(messages, m)
	}
	// The Go package's writer: Hash balancer, acks=all, snappy, 3 attempts, 10 ms batches.
	w := &kafka.Writer{
		Addr:         kafka.TCP(req.Brokers...),
		Topic:        req.Topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		Compression:  compress.Snappy,
		MaxAttempts:  3,
		BatchTimeout: 10 * time.Millisecond,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, messages...); err != nil {
		return produceResponse{}, err
	}
	return produceResponse{Written: len(messages)}, nil
}

func message(r produceRecord) (kafka.Message, error) {
	var m kafka.Message
	if r.Key != nil {
		m.Key = []byte(*r.Key)
	}
	switch {
	case r.ValueBytes != nil:
		m.Value = r.ValueBytes
	case r.Value != nil:
		var v any
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return m, err
		}
		if r.NilEmpty {
			v = nilEmpty(v)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return m, err
		}
		m.Value = b
	default:
		return m, errors.New("no value")
	}
	at := time.Now()
	if r.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, r.Time)
		if err != nil {
			return m, err
		}
		at = t
	}
	zone, err := zoneOf(r.TimeOffset)
	if err != nil {
		return m, err
	}
	header := func(name, value string) {
		m.Headers = append(m.Headers, kafka.Header{Key: name, Value: []byte(value)})
	}
	eventID := r.EventID
	if eventID == "" {
		eventID = uuid()
	}
	header("event-id", eventID)
	if r.EventType != "" {
		header("event-type", r.EventType)
	}
	if r.CorrelationID != "" {
		header("correlation-id", r.CorrelationID)
	}
	if r.ConversationID != "" {
		header("conversation-id", r.ConversationID)
	}
	if r.SchemaVersion != "" {
		header("schema-version", r.SchemaVersion)
	}
	if r.Source != "" {
		header("source", r.Source)
	}
	header("timestamp", at.In(zone).Format(time.RFC3339))
	// As the Go package writes it: string(rune(count + '0')).
	header("retry-count", string(rune(0+'0')))
	names := make([]string, 0, len(r.Headers))
	for name := range r.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		header(name, r.Headers[name])
	}
	return m, nil
}

// zoneOf parses "", "Z" or "+hh:mm"/"-hh:mm" into a fixed zone.
func zoneOf(offset string) (*time.Location, error) {
	if offset == "" || offset == "Z" {
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", offset)
	if err != nil {
		return nil, fmt.Errorf("invalid timeOffset %q (expected +hh:mm or -hh:mm)", offset)
	}
	_, seconds := t.Zone()
	return time.FixedZone("", seconds), nil
}

// nilEmpty replaces empty arrays and objects by Go's nil slices and maps, which encoding/json
// marshals as null: what a Go struct with an unset []T or map[K]V field puts on the wire.
func nilEmpty(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return []any(nil)
		}
		for i := range x {
			x[i] = nilEmpty(x[i])
		}
	case map[string]any:
		if len(x) == 0 {
			return map[string]any(nil)
		}
		for k := range x {
			x[k] = nilEmpty(x[k])
		}
	}
	return v
}

// uuid is a random (version 4) UUID, as github.com/google/uuid's New() makes for event-id.
func uuid() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ---- consume ----------------------------------------------------------------------------------

type consumeRequest struct {
	Brokers   []string `json:"brokers"`
	Topic     string   `json:"topic"`
	Count     int      `json:"count"`
	TimeoutMs int      `json:"timeoutMs"`
}

type consumedRecord struct {
	Partition int     `json:"partition"`
	Offset    int64   `json:"offset"`
	Key       *string `json:"key"`
	// The value as text (JSON values) and as bytes (base64, Avro values).
	Value      string            `json:"value"`
	ValueBytes []byte            `json:"valueBytes"`
	Headers    map[string]string `json:"headers"`
	// Header names in the order they were written.
	HeaderNames []string `json:"headerNames"`
	// The `timestamp` header as a Go service reads it (time.Parse with time.RFC3339), in
	// milliseconds since the epoch; null when it is missing or does not parse.
	TimestampMs *int64 `json:"timestampMs"`
}

type consumeResponse struct {
	Records []consumedRecord `json:"records"`
}

// consume reads every partition of the topic from its first offset until count records arrived
// (or the timeout passed: then it fails, naming how many it got). One reader per partition, no
// group: nothing is committed, so a test can read a topic as often as it likes.
func consume(req consumeRequest) (consumeResponse, error) {
	if req.Topic == "" || len(req.Brokers) == 0 || req.Count < 1 {
		return consumeResponse{}, errors.New("consume needs brokers, topic and a count of at least 1")
	}
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", req.Brokers[0])
	if err != nil {
		return consumeResponse{}, err
	}
	parts, err := conn.ReadPartitions(req.Topic)
	conn.Close()
	if err != nil {
		return consumeResponse{}, err
	}
	var (
		mu      sync.Mutex
		records []consumedRecord
		wg      sync.WaitGroup
	)
	enough := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(records) >= req.Count
	}
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	for _, p := range parts {
		wg.Add(1)
		go func(partition int) {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{
				Brokers:   req.Brokers,
				Topic:     req.Topic,
				Partition: partition,
				MinBytes:  1,
				MaxBytes:  10 << 20,
				MaxWait:   200 * time.Millisecond,
			})
			defer r.Close()
			_ = r.SetOffset(kafka.FirstOffset)
			for !enough() {
				m, err := r.ReadMessage(readCtx)
				if err != nil {
					return
				}
				mu.Lock()
				records = append(records, consumed(m))
				if len(records) >= req.Count {
					stop()
				}
				mu.Unlock()
			}
		}(p.ID)
	}
	wg.Wait()
	if len(records) < req.Count {
		return consumeResponse{}, fmt.Errorf("read %d of %d records from %s in %s", len(records), req.Count, req.Topic, timeout)
	}
	sort.Slice(records, func(i, j int) bool {
		if records[i].Partition != records[j].Partition {
			return records[i].Partition < records[j].Partition
		}
		return records[i].Offset < records[j].Offset
	})
	return consumeResponse{Records: records}, nil
}

func consumed(m kafka.Message) consumedRecord {
	c := consumedRecord{
		Partition:  m.Partition,
		Offset:     m.Offset,
		Value:      string(m.Value),
		ValueBytes: m.Value,
		Headers:    map[string]string{},
	}
	if m.Key != nil {
		k := string(m.Key)
		c.Key = &k
	}
	for _, h := range m.Headers {
		c.Headers[h.Key] = string(h.Value)
		c.HeaderNames = append(c.HeaderNames, h.Key)
	}
	if t, err := time.Parse(time.RFC3339, c.Headers["timestamp"]); err == nil {
		ms := t.UnixMilli()
		c.TimestampMs = &ms
	}
	return c
}
