/**
 * Call detail records: one structured line per call at its end, in the log (msg "call detail
 * record", the record under `cdr`) and, with CDR_FILE, appended to a file as JSON lines for
 * billing or analysis. A file that cannot be written is logged, never thrown: the call is over.
 */
import { appendFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { CallSnapshot } from './call-snapshot.js';
import type { CallEndSide } from './close-reason.js';
import type { CloseReason, TerminationClass } from './registry.js';

export interface DirectionSummary {
  packets: number;
  lossPct: number;
  jitterMs: number;
  mos: number | null;
}

export interface CallDetailRecord {
  callId: string;
  sipCallId: string | null;
  direction: 'in' | 'out';
  shownAs: string;
  phoneNumber: string | null;
  calledNumber: string | null;
  room: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  /** Seconds from the answer to the end (0 when never answered). */
  talkSeconds: number;
  setupSeconds: number | null;
  endReason: string;
  endClass: TerminationClass;
  endedBy: CallEndSide;
  /** The final response of the phone's INVITE (sent for a dial-in, received for a dial-out); null if none. */
  sipStatus: number | null;
  codecs: CallSnapshot['codecs'];
  mediaMode: string;
  mediaWorker: number | null;
  quality: {
    phoneToMeeting: DirectionSummary;
    meetingToPhone: DirectionSummary;
    /** Average round trip to the bridge. */
    rttAvgMs: number | null;
    /** Share of our audio the bridge reported lost, %. */
    bridgeRemoteLossPct: number | null;
    /** Average round trip to the phone, and the share of our audio it reported lost, %: null for phones without RTCP. */
    phoneRttAvgMs: number | null;
    phoneRemoteLossPct: number | null;
  };
}

export interface CallEnd {
  reason: CloseReason;
  endedBy: CallEndSide;
  sipStatus: number | undefined;
  endedAtMs: number;
}

function summary(d: CallSnapshot['quality']['phoneToMeeting']): DirectionSummary {
  return { packets: d.packets, lossPct: d.lossPct, jitterMs: d.jitterMs, mos: d.mos };
}

export function callDetailRecord(s: CallSnapshot, end: CallEnd, mediaMode: string): CallDetailRecord {
  const answered = s.answeredAt === null ? undefined : Date.parse(s.answeredAt);
  return {
    callId: s.id,
    sipCallId: s.sipCallId,
    direction: s.direction,
    shownAs: s.shownAs,
    phoneNumber: s.phoneNumber,
    calledNumber: s.calledNumber,
    room: s.room,
    startedAt: s.startedAt,
    answeredAt: s.answeredAt,
    endedAt: new Date(end.endedAtMs).toISOString(),
    talkSeconds: answered === undefined ? 0 : Math.round(Math.max(0, end.endedAtMs - answered) / 100) / 10,
    setupSeconds: s.setupSeconds,
    endReason: end.reason.cause,
    endClass: end.reason.cls,
    endedBy: end.endedBy,
    sipStatus: end.sipStatus ?? null,
    codecs: s.codecs,
    mediaMode,
    mediaWorker: s.mediaWorker,
    quality: {
      phoneToMeeting: summary(s.quality.phoneToMeeting),
      meetingToPhone: summary(s.quality.meetingToPhone),
      rttAvgMs: s.quality.bridge.rttAvgMs,
      bridgeRemoteLossPct: s.quality.bridge.remoteLossPct,
      phoneRttAvgMs: s.quality.phone.rttAvgMs,
      phoneRemoteLossPct: s.quality.phone.remoteLossPct,
    },
  };
}

/** Where a call's record goes when it ends. */
export interface CdrSink {
  record(snapshot: CallSnapshot, end: CallEnd): void;
}

export interface CdrWriterOptions {
  logger: Logger;
  /** CDR_FILE: also append each record as one JSON line. */
  file: string | undefined;
  /** MEDIA_MODE, the same for every call of the process. */
  mediaMode: string;
}

export class CdrWriter implements CdrSink {
  /** Appends one after another, so lines never interleave and keep the order calls ended in. */
  #appending: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CdrWriterOptions) {}

  record(snapshot: CallSnapshot, end: CallEnd): void {
    const cdr = callDetailRecord(snapshot, end, this.opts.mediaMode);
    this.opts.logger.info({ cdr }, 'call detail record');
    const file = this.opts.file;
    if (file === undefined) return;
    const line = `${JSON.stringify(cdr)}\n`;
    this.#appending = this.#appending.then(() =>
      appendFile(file, line, { encoding: 'utf8', mode: 0o640 }).catch((err: unknown) => {
        this.opts.logger.error({ err, file, callId: cdr.callId }, 'CDR not written to CDR_FILE');
      }),
    );
  }

  /** Resolves once every record so far is in the file (or failed). */
  flush(): Promise<void> {
    return this.#appending;
  }
}
