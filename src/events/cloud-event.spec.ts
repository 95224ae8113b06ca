import { toCloudEvent } from './cloud-event';
import type { EventRecord } from './event.entity';

describe('toCloudEvent', () => {
  const row = {
    seq: '7',
    id: '0b6f3c3e-6f1e-4a53-9a55-2f1d1c3f2b7a',
    type: 'session.revoked',
    userId: '3f0c2b9e-8f7a-4c1e-9d2a-6b5e4a3c2d1f',
    data: { user_id: '3f0c2b9e-8f7a-4c1e-9d2a-6b5e4a3c2d1f', session_ids: ['s1'], reason: 'logout' },
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0',
    createdAt: new Date('2026-12-01T19:08:27.226Z'),
    publishedAt: null,
  } as EventRecord;

  it('is CloudEvents 1.0 structured mode, subject = the user, and carries neither address nor user agent', () => {
    expect(toCloudEvent(row, 'https://users.example.com')).toEqual({
      specversion: '1.0',
      id: row.id,
      type: 'session.revoked',
      source: 'https://users.example.com',
      subject: row.userId,
      time: '2026-12-01T19:08:27.226Z',
      datacontenttype: 'application/json',
      data: row.data,
    });
  });

  it('leaves subject out when the event has no user', () => {
    expect(toCloudEvent({ ...row, userId: null } as EventRecord, 's')).not.toHaveProperty('subject');
  });
});
