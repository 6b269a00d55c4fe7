/**
 * RFC 3339 date-times, read strictly as to the calendar and leniently as to the form: any offset
 * (`Z`, `+02:00`, `-05:30`, `-00:00`), fractional seconds of any length (Go's `time.RFC3339Nano`
 * writes up to nine digits and drops trailing zeros), `t`/`z` in lower case and a space for `T`
 * (RFC 3339 section 5.6 allows both). What `Date` would silently roll over (February 30, hour 24,
 * an offset of +25:00) is refused with the reason, as Go's `time.Parse` refuses it. A leap second
 * (`:60`) is refused too: Go cannot represent it either. Digits past the millisecond are dropped
 * (a `Date` holds milliseconds), which rounds toward the past like Go's `Truncate`.
 */

const FORM = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function daysIn(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The problem of a text not even shaped like an RFC 3339 date-time. */
export const notRfc3339Form = "expected YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset such as +02:00";

/** The instant `text` names, or why it names none (a phrase to follow "not an RFC 3339 timestamp: "). */
export function parseRfc3339(text: string): { readonly date: Date } | { readonly problem: string } {
  const m = FORM.exec(text);
  if (m === null) return { problem: notRfc3339Form };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return { problem: `month ${month} is not 01 to 12` };
  const days = daysIn(year, month);
  if (day < 1 || day > days) {
    return { problem: `day ${day} is not 01 to ${days} (${MONTHS[month - 1]} ${year} has ${days} days)` };
  }
  if (hour > 23) return { problem: `hour ${hour} is not 00 to 23` };
  if (minute > 59) return { problem: `minute ${minute} is not 00 to 59` };
  if (second === 60) return { problem: "a leap second (:60) cannot be represented" };
  if (second > 59) return { problem: `second ${second} is not 00 to 59` };
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHour = Number(m[10]);
    const offsetMinute = Number(m[11]);
    if (offsetHour > 23) return { problem: `offset hour ${offsetHour} is not 00 to 23` };
    if (offsetMinute > 59) return { problem: `offset minute ${offsetMinute} is not 00 to 59` };
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  const millis = Number((m[7] ?? "").slice(0, 3).padEnd(3, "0"));
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  date.setTime(date.getTime() - offsetMinutes * 60_000);
  return { date };
}
