/**
 * The two header extensions Jitsi negotiates for audio: RFC 6464 client-to-mixer audio level and
 * RFC 8843 sdes:mid. The ids come from signalling (Jicofo offers 1 and 10), so every helper takes
 * the id rather than assuming one.
 */
import { locateHeaderExtension, type RtpHeaderExtensionElement, type RtpPacketView } from './packet.js';

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
export const SDES_MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

/** Level value meaning digital silence (-127 dBov or lower). */
export const AUDIO_LEVEL_SILENT = 127;

export interface AudioLevel {
  /** 0 (loudest, 0 dBov) .. 127 (silence), i.e. -dBov. */
  level: number;
  /** The sender's voice-activity flag (the "V" bit). */
  voice: boolean;
}

/** Encodes level + V bit into the one data byte of the extension. */
export function encodeAudioLevelByte(level: number, voice: boolean): number {
  const l = level < 0 ? 0 : level > 127 ? 127 : Math.round(level);
  return (voice ? 0x80 : 0) | l;
}

export function audioLevelFromByte(byte: number): number {
  return byte & 0x7f;
}

export function voiceFromByte(byte: number): boolean {
  return (byte & 0x80) !== 0;
}

/** Decodes the extension data (as returned by getHeaderExtension). */
export function readAudioLevel(data: Uint8Array): AudioLevel | undefined {
  if (data.length < 1) return undefined;
  const b = data[0]!;
  return { level: b & 0x7f, voice: (b & 0x80) !== 0 };
}

/**
 * Writes the extension element data. With `into`, fills that element in place (so a sender can
 * keep one element object per stream and touch no heap per packet).
 */
export function writeAudioLevel(
  level: number,
  voice: boolean,
  id: number,
  into?: RtpHeaderExtensionElement,
): RtpHeaderExtensionElement {
  const el = into && into.data.length === 1 ? into : { id, data: new Uint8Array(1) };
  el.id = id;
  el.data[0] = encodeAudioLevelByte(level, voice);
  return el;
}

/**
 * The raw audio-level byte (V bit + level) of a parsed packet, or -1 when the packet has none.
 * Allocation-free: the mixer's "is this stream silent?" check runs on every packet.
 */
export function findAudioLevelByte(view: RtpPacketView, id: number): number {
  const at = locateHeaderExtension(view, id);
  return at < 0 ? -1 : view.datagram[view.extensionStart + at]!;
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** The sdes:mid value (an identification-tag string), or undefined when absent/empty. */
export function readMid(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  // Senders using the one-byte form sometimes pad with NULs; they are not part of the tag.
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return end === 0 ? undefined : textDecoder.decode(data.subarray(0, end));
}

/** Builds the sdes:mid element; the value must encode to 1-255 bytes. */
export function writeMid(mid: string, id: number): RtpHeaderExtensionElement {
  const data = textEncoder.encode(mid);
  if (data.length < 1 || data.length > 255) throw new RangeError('mid must be 1-255 bytes');
  return { id, data };
}
