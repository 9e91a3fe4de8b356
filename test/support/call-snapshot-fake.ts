import { callSnapshot, type CallSnapshot } from '../../src/call/call-snapshot.js';

/** The snapshot of a call that has nothing yet (no room, no media): for registry fakes. */
export function idleSnapshot(id: string): CallSnapshot {
  return callSnapshot({
    id,
    direction: 'in',
    room: undefined,
    phase: 'setup',
    startedAt: Date.now(),
    answeredAt: undefined,
    parties: { shownAs: id, phoneNumber: null, calledNumber: null, sipCallId: id },
    media: undefined,
  });
}
