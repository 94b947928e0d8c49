import { randomUUID } from 'node:crypto';

/**
 * `EC2 AMI State Change` events, in the published shape (shared/events/ec2-ami-state-change-*.json).
 * EC2 sends them for these four states only — there is no `pending` event — on the default bus of
 * the region where the image lives, so a copy's event comes from the destination region.
 */
export type AmiEventState = 'available' | 'failed' | 'deregistered' | 'disabled';

export interface AmiStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'EC2 AMI State Change';
  source: 'aws.ec2';
  account: string;
  /** `YYYY-MM-DDTHH:MM:SSZ`: no milliseconds. */
  time: string;
  region: string;
  /** `arn:aws:ec2:<region>::image/<ami-id>`, with an empty account field. */
  resources: [string];
  detail: {
    /** The request id of the API call that caused the change. */
    RequestId: string;
    ImageId: string;
    State: AmiEventState;
    /** Empty unless State is `failed`. */
    ErrorMessage: string;
  };
}

export type AmiEventListener = (event: AmiStateChangeEvent) => void;

/** `2026-01-02T03:04:05Z`: an event `time` is second-precision. */
export function eventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function amiStateChangeEvent(input: {
  account: string;
  region: string;
  imageId: string;
  state: AmiEventState;
  requestId: string;
  errorMessage?: string;
  time: Date;
}): AmiStateChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 AMI State Change',
    source: 'aws.ec2',
    account: input.account,
    time: eventTime(input.time),
    region: input.region,
    resources: [`arn:aws:ec2:${input.region}::image/${input.imageId}`],
    detail: {
      RequestId: input.requestId,
      ImageId: input.imageId,
      State: input.state,
      ErrorMessage: input.errorMessage ?? '',
    },
  };
}

/** Synchronous fan-out. A throwing listener is logged and does not affect others or the API call. */
export class EventBus {
  private readonly listeners = new Set<AmiEventListener>();

  subscribe(listener: AmiEventListener): () => void {
    // Wrap so the same function can be subscribed twice and unsubscribed independently.
    const entry: AmiEventListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(event: AmiStateChangeEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('ec2 emulator: an AMI event listener threw', error);
      }
    }
  }
}
