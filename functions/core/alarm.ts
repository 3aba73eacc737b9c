/**
 * A CloudWatch alarm as the domain sees it: the state change that reached the auto-rollback
 * function (whichever way it came, see functions/events/alarm-event.ts), and the reference to
 * it that a rollback, a run and their notifications carry. Its own module, so that runs,
 * notifications and the use cases take these types from one place and not from each other.
 */

/** The alarm behind a rollback: what a record's notification and a run name. */
export interface AlarmRef {
  name: string;
  arn: string;
  reason: string;
  stateChangedAt: string;
}

/** One alarm state change, whichever way it arrived. */
export interface AlarmStateChange {
  name: string;
  arn: string;
  /** `ALARM`, `OK` or `INSUFFICIENT_DATA`. */
  state: string;
  /** The state it left, where the event says (the SNS shape does, as OldStateValue). */
  previousState: string | null;
  reason: string;
  /** When the state changed, ISO 8601 UTC: with the ARN, the change's identity. */
  stateChangedAt: string;
}
