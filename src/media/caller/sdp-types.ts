/** What the caller side of a call negotiated, independent of SDP text. */
import type { CodecName } from '../codecs/codec.js';
import type { SdesSuite } from './sdes.js';

/**
 * The caller-side formats we know. L16 is one SDP encoding at two clock rates, hence two names:
 * 'L16' is L16/8000 and 'L16-16k' is L16/16000 (both mono).
 */
export type CallerCodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus' | 'L16' | 'L16-16k';

/** RFC 3264 direction from OUR point of view (what we may do). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface CallerCodecChoice {
  name: CallerCodecName;
  /** The SDP encoding name, which is also the codec to create (with `sampleRate`). */
  encoding: CodecName;
  payloadType: number;
  /** Clock rate written in rtpmap (8000 for G.722 by RFC 3551, 48000 for Opus). */
  rtpClockRate: number;
  /** PCM rate the codec works at (16000 for G.722 and Opus, 8000 for G.711, L16's clock rate). */
  sampleRate: number;
  channels: number;
  fmtp?: string;
}

export interface CallerMediaParams {
  codec: CallerCodecChoice;
  /** RFC 4733 payload type when the caller offered telephone-event at the codec's clock rate. */
  telephoneEventPt: number | undefined;
  /** Where the caller says to send RTP (before symmetric-RTP latching corrects it). */
  remoteAddress: string;
  remotePort: number;
  direction: MediaDirection;
  /** Packetization the caller asked for, ms (a=ptime), 20 when absent. */
  ptime: number;
  /** RTCP shares the RTP port (RFC 5761): the caller offered a=rtcp-mux and our answer agreed. */
  rtcpMux: boolean;
  /** The caller's RTCP port from a=rtcp (RFC 3605); RTP port + 1 when absent. */
  remoteRtcpPort?: number;
  /** SDES-SRTP when negotiated: the suite, and the key the caller sends with (a secret: never log it). */
  srtp?: NegotiatedSrtp;
}

export interface NegotiatedSrtp {
  suite: SdesSuite;
  /** The a=crypto tag both sides agreed on. */
  tag: number;
  /** The caller's master key ‖ salt. */
  remoteKey: Buffer;
}
