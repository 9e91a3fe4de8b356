/** What the caller side of a call negotiated, independent of SDP text. */

export type CallerCodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus';

/** RFC 3264 direction from OUR point of view (what we may do). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface CallerCodecChoice {
  name: CallerCodecName;
  payloadType: number;
  /** Clock rate written in rtpmap (8000 for G.722 by RFC 3551, 48000 for Opus). */
  rtpClockRate: number;
  /** PCM rate the codec works at (16000 for G.722, 8000 or 16000 for the others). */
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
}
