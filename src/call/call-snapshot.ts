/**
 * A read-only picture of one live call, as GET /calls shows it and the CDR records it at the end:
 * plain data assembled from what the call knows (CallBase.snapshot) and its media counters.
 */
import type { CallMedia, CallMediaStats } from '../media/call-media.js';
import { callQuality, type CallQuality } from './call-quality.js';

/** Who is on the call, as the call's direction sees them. */
export interface CallParties {
  /** The name the meeting shows for the participant. */
  shownAs: string;
  /** The phone's number (the caller's for a dial-in, the one dialled for a dial-out). */
  phoneNumber: string | null;
  /** The number that was dialled (the gateway's DID for a dial-in). */
  calledNumber: string | null;
  /** The SIP Call-ID of the phone's leg once there is one. */
  sipCallId: string | null;
}

export interface CallSnapshot extends CallParties {
  id: string;
  direction: 'in' | 'out';
  /** Room bare JID once known. */
  room: string | null;
  phase: string;
  startedAt: string;
  answeredAt: string | null;
  /** Seconds since the call started. */
  durationSeconds: number;
  /** Seconds from the call's start until it was answered. */
  setupSeconds: number | null;
  codecs: { phone: string | null; bridge: 'opus' };
  /** The media worker thread running its media (MEDIA_WORKERS > 0). */
  mediaWorker: number | null;
  /** The SDES-SRTP suite on the phone's RTP; null for plain RTP (and in FreeSWITCH mode, where FreeSWITCH keeps it). */
  phoneSrtp: string | null;
  /** Noise suppression runs on the caller's audio. */
  noiseSuppression: boolean;
  quality: CallQuality;
}

export interface SnapshotSource {
  id: string;
  direction: 'in' | 'out';
  room: string | undefined;
  phase: string;
  startedAt: number;
  answeredAt: number | undefined;
  parties: CallParties;
  media: CallMedia | undefined;
}

const EMPTY_STATS: CallMediaStats = {
  caller: { packetsReceived: 0, packetsLost: 0, packetsSent: 0, jitterMs: 0 },
  bridge: { packetsReceived: 0, packetsLost: 0, packetsSent: 0, srtpFailures: 0, connected: false },
};

export function callSnapshot(s: SnapshotSource, nowMs = Date.now()): CallSnapshot {
  const stats = s.media?.stats() ?? EMPTY_STATS;
  const quality = callQuality(stats);
  return {
    id: s.id,
    direction: s.direction,
    room: s.room ?? null,
    ...s.parties,
    phase: s.phase,
    startedAt: new Date(s.startedAt).toISOString(),
    answeredAt: s.answeredAt === undefined ? null : new Date(s.answeredAt).toISOString(),
    durationSeconds: Math.round((nowMs - s.startedAt) / 100) / 10,
    setupSeconds: s.answeredAt === undefined ? null : Math.round((s.answeredAt - s.startedAt) / 10) / 100,
    codecs: { phone: quality.phone.codec, bridge: 'opus' },
    mediaWorker: s.media?.workerIndex ?? null,
    phoneSrtp: stats.caller.srtp ?? null,
    noiseSuppression: stats.caller.denoisedFrames !== undefined,
    quality,
  };
}
