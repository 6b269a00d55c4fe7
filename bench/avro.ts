/**
 * The booking's Avro type as a hand-written avsc user builds it: `timestamp-millis` read and
 * written as a Date (avsc leaves logical types to the user), so every contender hands the same
 * objects in and gets the same objects out as the SDK's typed payloads.
 */
import avro from "avsc";
import { schema } from "./booking.ts";

class DateType extends avro.types.LogicalType {
  override _fromValue(value: unknown): Date {
    return new Date(value as number);
  }
  override _toValue(value: unknown): unknown {
    return value instanceof Date ? value.getTime() : value;
  }
  override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    if (avro.Type.isType(type, "long", "logical:timestamp-millis")) return this._fromValue.bind(this);
    return undefined;
  }
}

export const bookingType: avro.Type = avro.Type.forSchema(schema as unknown as avro.Schema, {
  logicalTypes: { "timestamp-millis": DateType },
});
