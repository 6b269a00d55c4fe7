/**
 * Registry subject naming, shared by `skeji-gen check --registry`, `skeji-gen register`
 * and the runtime's Confluent wire format.
 *
 * Several event types travel on one topic, so Confluent's default `<topic>-value` would put
 * unrelated schemas under one subject and every compatibility check would fail. Each event
 * type gets its own subject instead: `<topic>-<event-type>`, e.g.
 * `booking.commands-booking.create.requested`. This is Confluent's TopicRecordNameStrategy
 * with the event type (stable across record renames) in place of the record's full name.
 */

export interface SubjectSource {
  readonly topic: string;
  /** The event type, e.g. `booking.create.requested`. */
  readonly type: string;
}

export function subjectFor(event: SubjectSource): string {
  return `${event.topic}-${event.type}`;
}

/**
 * The subject a shared named type is registered under, as a Confluent schema reference: its full
 * name (Confluent's RecordNameStrategy), e.g. `com.skeji.common.Money`.
 */
export function sharedTypeSubject(fullName: string): string {
  return fullName;
}
