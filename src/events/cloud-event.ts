import type { EventRecord } from './event.entity';

/** CloudEvents 1.0, structured mode: the whole event is the message body. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export function toCloudEvent(event: EventRecord, source: string): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    type: event.type,
    source,
    ...(event.userId ? { subject: event.userId } : {}),
    time: event.createdAt.toISOString(),
    datacontenttype: 'application/json',
    data: event.data,
  };
}
