/** Turns a kafkajs record into a `ConsumedMessage`. */
import type { IHeaders, KafkaMessage } from "kafkajs";
import { readHeaders } from "../message/headers.ts";
import type { ConsumedMessage } from "./types.ts";

export function toConsumedMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  const raw: IHeaders = m.headers ?? {};
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: new Date(Number(m.timestamp)),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: readHeaders(raw),
    rawHeaders: raw,
  };
}
