/**
 * RTP packets (RFC 3550) with CSRCs, padding and header extensions in the RFC 8285 one-byte
 * (profile 0xBEDE) and two-byte (profile 0x100X) forms.
 *
 * Parsing is zero-copy: the result is a view whose payload and extension block are subarrays of
 * the datagram, and a view object can be passed back in to be refilled, so the per-packet receive
 * path allocates nothing but the two subarrays; tryParseRtpHeader() does not even make those (for
 * a packet that may be dropped on its header alone). Serialising writes into a caller-provided
 * buffer when given one.
 */

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_SIZE = 12;
export const ONE_BYTE_EXTENSION_PROFILE = 0xbede;
/** Two-byte header profiles are 0x1000-0x100F; the low 4 bits are "appbits". */
export const TWO_BYTE_EXTENSION_PROFILE = 0x1000;

export class RtpParseError extends Error {
  override readonly name = 'RtpParseError';
  /** Metric label for dropped input. */
  readonly label = 'rtp_malformed';
}

export interface RtpHeaderExtensionElement {
  /** 1-14 for the one-byte form, 1-255 for the two-byte form. */
  id: number;
  data: Uint8Array;
}

/** A parsed packet. `payload` and `extensionData` are views into the parsed datagram. */
export interface RtpPacketView {
  padding: boolean;
  /** Bytes of padding at the end (including the count byte), 0 without padding. */
  paddingLength: number;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Reused between parses into the same view; copy it if you keep it. */
  csrcs: number[];
  /** The 16-bit "defined by profile" field, or -1 without an extension block. */
  extensionProfile: number;
  /** Extension data words (after the 4-byte extension header), empty without extension. */
  extensionData: Uint8Array;
  payload: Uint8Array;
  /** Bytes before the payload: fixed header, CSRCs and extension block. */
  headerLength: number;
  /** The parsed datagram, and where the extension data lies in it (equal offsets without one). */
  datagram: Uint8Array;
  extensionStart: number;
  extensionEnd: number;
}

const EMPTY = new Uint8Array(0);

export function createRtpPacketView(): RtpPacketView {
  return {
    padding: false,
    paddingLength: 0,
    extension: false,
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    csrcs: [],
    extensionProfile: -1,
    extensionData: EMPTY,
    payload: EMPTY,
    headerLength: RTP_FIXED_HEADER_SIZE,
    datagram: EMPTY,
    extensionStart: 0,
    extensionEnd: 0,
  };
}

/**
 * Fills `view` from `buf`; returns a reason string when the packet is malformed. With `views`
 * false, `extensionData` and `payload` are left empty (no subarray is made).
 */
function parseInto(buf: Uint8Array, view: RtpPacketView, views = true): string | null {
  const len = buf.length;
  if (len < RTP_FIXED_HEADER_SIZE) return 'shorter than the fixed header';
  const b0 = buf[0]!;
  if (b0 >> 6 !== RTP_VERSION) return 'not RTP version 2';
  const b1 = buf[1]!;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_SIZE + csrcCount * 4;
  if (offset > len) return 'CSRC list past the end';

  view.padding = (b0 & 0x20) !== 0;
  view.extension = (b0 & 0x10) !== 0;
  view.marker = (b1 & 0x80) !== 0;
  view.payloadType = b1 & 0x7f;
  view.sequenceNumber = (buf[2]! << 8) | buf[3]!;
  view.timestamp = ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0;
  view.ssrc = ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0;
  const csrcs = view.csrcs;
  csrcs.length = csrcCount;
  for (let i = 0; i < csrcCount; i++) {
    const o = RTP_FIXED_HEADER_SIZE + i * 4;
    csrcs[i] = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
  }

  if (view.extension) {
    if (offset + 4 > len) return 'extension header past the end';
    view.extensionProfile = (buf[offset]! << 8) | buf[offset + 1]!;
    const words = (buf[offset + 2]! << 8) | buf[offset + 3]!;
    const dataStart = offset + 4;
    offset = dataStart + words * 4;
    if (offset > len) return 'extension data past the end';
    view.extensionStart = dataStart;
    view.extensionEnd = offset;
    view.extensionData = views ? buf.subarray(dataStart, offset) : EMPTY;
  } else {
    view.extensionProfile = -1;
    view.extensionStart = offset;
    view.extensionEnd = offset;
    view.extensionData = EMPTY;
  }
  view.datagram = buf;

  let end = len;
  if (view.padding) {
    const padLen = buf[len - 1]!;
    if (padLen === 0 || offset + padLen > len) return 'bad padding length';
    end = len - padLen;
    view.paddingLength = padLen;
  } else {
    view.paddingLength = 0;
  }
  view.headerLength = offset;
  view.payload = views ? buf.subarray(offset, end) : EMPTY;
  return null;
}

/** Parses an RTP packet; throws RtpParseError when it is malformed. */
export function parseRtp(buf: Uint8Array, into: RtpPacketView = createRtpPacketView()): RtpPacketView {
  const problem = parseInto(buf, into);
  if (problem !== null) throw new RtpParseError(`malformed RTP packet: ${problem}`);
  return into;
}

/** Like parseRtp but returns undefined for malformed input (receive loops drop those quietly). */
export function tryParseRtp(buf: Uint8Array, into: RtpPacketView = createRtpPacketView()): RtpPacketView | undefined {
  return parseInto(buf, into) === null ? into : undefined;
}

/**
 * Like tryParseRtp but allocation-free: the header fields only, `payload` and `extensionData`
 * left empty. Header extensions are still found (locateHeaderExtension reads the datagram).
 */
export function tryParseRtpHeader(buf: Uint8Array, into: RtpPacketView): RtpPacketView | undefined {
  return parseInto(buf, into, false) === null ? into : undefined;
}

export function isOneByteExtensionProfile(profile: number): boolean {
  return profile === ONE_BYTE_EXTENSION_PROFILE;
}

export function isTwoByteExtensionProfile(profile: number): boolean {
  return (profile & 0xfff0) === TWO_BYTE_EXTENSION_PROFILE;
}

/**
 * Locates header extension element `id` in a parsed packet. Returns the offset of its data inside
 * `view.extensionData` and writes its length into `lengthOut[0]`; -1 when absent. Allocation-free,
 * for the per-packet path (the audio level lookup).
 */
export function locateHeaderExtension(view: RtpPacketView, id: number, lengthOut?: Int32Array): number {
  // Read from the datagram, so that a header-only parse finds extensions too.
  const data = view.datagram;
  const base = view.extensionStart;
  const n = view.extensionEnd - base;
  if (isOneByteExtensionProfile(view.extensionProfile)) {
    let i = 0;
    while (i < n) {
      const b = data[base + i]!;
      if (b === 0) {
        i++; // padding byte between elements
        continue;
      }
      const elId = b >> 4;
      if (elId === 15) return -1; // reserved: stop parsing (RFC 8285 §4.2)
      const elLen = (b & 0x0f) + 1;
      if (i + 1 + elLen > n) return -1;
      if (elId === id) {
        if (lengthOut) lengthOut[0] = elLen;
        return i + 1;
      }
      i += 1 + elLen;
    }
    return -1;
  }
  if (isTwoByteExtensionProfile(view.extensionProfile)) {
    let i = 0;
    while (i < n) {
      const elId = data[base + i]!;
      if (elId === 0) {
        i++;
        continue;
      }
      if (i + 1 >= n) return -1;
      const elLen = data[base + i + 1]!;
      if (i + 2 + elLen > n) return -1;
      if (elId === id) {
        if (lengthOut) lengthOut[0] = elLen;
        return i + 2;
      }
      i += 2 + elLen;
    }
  }
  return -1;
}

const lengthScratch = new Int32Array(1);

/** The data of header extension element `id` (a view into the packet), or undefined. */
export function getHeaderExtension(view: RtpPacketView, id: number): Uint8Array | undefined {
  const at = locateHeaderExtension(view, id, lengthScratch);
  if (at < 0) return undefined;
  return view.extensionData.subarray(at, at + lengthScratch[0]!);
}

/** All extension elements of a parsed packet, in order (not for the per-packet path). */
export function listHeaderExtensions(view: RtpPacketView): RtpHeaderExtensionElement[] {
  const out: RtpHeaderExtensionElement[] = [];
  const oneByte = isOneByteExtensionProfile(view.extensionProfile);
  if (!oneByte && !isTwoByteExtensionProfile(view.extensionProfile)) return out;
  const data = view.extensionData;
  let i = 0;
  while (i < data.length) {
    const b = data[i]!;
    if (b === 0) {
      i++;
      continue;
    }
    let id: number;
    let len: number;
    let start: number;
    if (oneByte) {
      id = b >> 4;
      if (id === 15) break;
      len = (b & 0x0f) + 1;
      start = i + 1;
    } else {
      if (i + 1 >= data.length) break;
      id = b;
      len = data[i + 1]!;
      start = i + 2;
    }
    if (start + len > data.length) break;
    out.push({ id, data: data.subarray(start, start + len) });
    i = start + len;
  }
  return out;
}

export type HeaderExtensionForm = 'one-byte' | 'two-byte';

/** What to send. Reuse one object (and its extension elements) per stream to stay allocation-free. */
export interface RtpPacketInit {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  csrcs?: readonly number[];
  /** Encoded in the one-byte form when every element allows it, else the two-byte form. */
  extensions?: readonly RtpHeaderExtensionElement[];
  extensionForm?: HeaderExtensionForm;
  /** Low 4 bits of the two-byte profile (RFC 8285 "appbits"). */
  extensionAppBits?: number;
  payload: Uint8Array;
  /** Total padding bytes to append, including the final count byte (1-255); 0 or absent for none. */
  paddingLength?: number;
}

function chooseForm(init: RtpPacketInit): HeaderExtensionForm {
  if (init.extensionForm) return init.extensionForm;
  const exts = init.extensions;
  if (!exts) return 'one-byte';
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    if (e.id < 1 || e.id > 14 || e.data.length < 1 || e.data.length > 16) return 'two-byte';
  }
  return 'one-byte';
}

function extensionBlockSize(init: RtpPacketInit, form: HeaderExtensionForm): number {
  const exts = init.extensions;
  if (!exts || exts.length === 0) return 0;
  let raw = 0;
  for (let i = 0; i < exts.length; i++) raw += (form === 'one-byte' ? 1 : 2) + exts[i]!.data.length;
  return 4 + ((raw + 3) & ~3);
}

/** Bytes serializeRtp will write for `init`. */
export function rtpPacketSize(init: RtpPacketInit): number {
  const form = chooseForm(init);
  return (
    RTP_FIXED_HEADER_SIZE +
    (init.csrcs?.length ?? 0) * 4 +
    extensionBlockSize(init, form) +
    init.payload.length +
    (init.paddingLength ?? 0)
  );
}

/**
 * Writes `init` at `out[offset]` and returns the number of bytes written. Throws RangeError when a
 * field is out of range or `out` is too small.
 */
export function writeRtp(init: RtpPacketInit, out: Uint8Array, offset = 0): number {
  const form = chooseForm(init);
  const csrcs = init.csrcs;
  const csrcCount = csrcs?.length ?? 0;
  if (csrcCount > 15) throw new RangeError('at most 15 CSRCs');
  const padding = init.paddingLength ?? 0;
  if (padding < 0 || padding > 255) throw new RangeError('paddingLength must be 0-255');
  const extSize = extensionBlockSize(init, form);
  const size = RTP_FIXED_HEADER_SIZE + csrcCount * 4 + extSize + init.payload.length + padding;
  if (offset + size > out.length) throw new RangeError(`output buffer too small: need ${size} bytes`);

  let o = offset;
  out[o++] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (extSize > 0 ? 0x10 : 0) | csrcCount;
  out[o++] = (init.marker ? 0x80 : 0) | (init.payloadType & 0x7f);
  out[o++] = (init.sequenceNumber >> 8) & 0xff;
  out[o++] = init.sequenceNumber & 0xff;
  o = writeU32(out, o, init.timestamp);
  o = writeU32(out, o, init.ssrc);
  for (let i = 0; i < csrcCount; i++) o = writeU32(out, o, csrcs![i]!);

  if (extSize > 0) {
    const exts = init.extensions!;
    const profile =
      form === 'one-byte' ? ONE_BYTE_EXTENSION_PROFILE : TWO_BYTE_EXTENSION_PROFILE | ((init.extensionAppBits ?? 0) & 0x0f);
    out[o++] = profile >> 8;
    out[o++] = profile & 0xff;
    const words = (extSize - 4) / 4;
    out[o++] = words >> 8;
    out[o++] = words & 0xff;
    const blockEnd = o + extSize - 4;
    for (let i = 0; i < exts.length; i++) {
      const e = exts[i]!;
      const len = e.data.length;
      if (form === 'one-byte') {
        if (e.id < 1 || e.id > 14 || len < 1 || len > 16) {
          throw new RangeError(`extension ${e.id} does not fit the one-byte form`);
        }
        out[o++] = (e.id << 4) | (len - 1);
      } else {
        if (e.id < 1 || e.id > 255 || len > 255) throw new RangeError(`extension ${e.id} does not fit the two-byte form`);
        out[o++] = e.id;
        out[o++] = len;
      }
      out.set(e.data, o);
      o += len;
    }
    while (o < blockEnd) out[o++] = 0;
  }

  out.set(init.payload, o);
  o += init.payload.length;
  if (padding > 0) {
    for (let i = 0; i < padding - 1; i++) out[o++] = 0;
    out[o++] = padding;
  }
  return o - offset;
}

/**
 * Serialises `init`. With `out`, writes into it and returns the written part as a view of the same
 * memory; without, allocates a Buffer of the exact size.
 */
export function serializeRtp(init: RtpPacketInit, out?: Buffer): Buffer {
  const target = out ?? Buffer.allocUnsafe(rtpPacketSize(init));
  const n = writeRtp(init, target, 0);
  return n === target.length ? target : target.subarray(0, n);
}

function writeU32(out: Uint8Array, o: number, v: number): number {
  out[o] = (v >>> 24) & 0xff;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
  return o + 4;
}
