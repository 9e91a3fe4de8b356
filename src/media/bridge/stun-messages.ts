import { classes, Message, methods, parseMessage } from 'werift';
import type { TransportAddress } from './types.js';

/**
 * The few STUN messages ICE needs (RFC 8445 §7, RFC 5389), built and parsed with werift's STUN
 * codec (attributes, MESSAGE-INTEGRITY, FINGERPRINT). werift types attribute values as `any`;
 * everything read here is narrowed before it leaves this module.
 */

export interface BindingRequestFields {
  /** "remoteUfrag:localUfrag" */
  username: string;
  /** Remote password: the key of MESSAGE-INTEGRITY. */
  key: Buffer;
  priority: number;
  tieBreaker: bigint;
  useCandidate: boolean;
}

export interface BuiltRequest {
  transactionId: string;
  bytes: Buffer;
}

export function buildBindingRequest(f: BindingRequestFields): BuiltRequest {
  const m = new Message(methods.BINDING, classes.REQUEST);
  m.setAttribute('USERNAME', f.username).setAttribute('PRIORITY', f.priority).setAttribute('ICE-CONTROLLING', f.tieBreaker);
  if (f.useCandidate) m.setAttribute('USE-CANDIDATE', null);
  m.addMessageIntegrity(f.key).addFingerprint();
  return { transactionId: m.transactionIdHex, bytes: m.bytes };
}

export function buildBindingSuccess(transactionId: Buffer, mapped: TransportAddress, key: Buffer): Buffer {
  const m = new Message(methods.BINDING, classes.RESPONSE, transactionId);
  m.setAttribute('XOR-MAPPED-ADDRESS', [mapped.host, mapped.port]).addMessageIntegrity(key).addFingerprint();
  return m.bytes;
}

export function buildBindingError(transactionId: Buffer, code: number, reason: string, key: Buffer | undefined): Buffer {
  const m = new Message(methods.BINDING, classes.ERROR, transactionId);
  m.setAttribute('ERROR-CODE', [code, reason]);
  if (key !== undefined) m.addMessageIntegrity(key);
  m.addFingerprint();
  return m.bytes;
}

/** Transaction id of a STUN datagram as hex, without parsing the rest. */
export function stunTransactionId(data: Buffer): string {
  return data.toString('hex', 8, 20);
}

/** STUN message class bits (0x0110 of the type field): request, indication, success, error. */
export function stunClass(data: Buffer): 'request' | 'indication' | 'success' | 'error' {
  const type = data.readUInt16BE(0);
  switch (type & 0x0110) {
    case 0x0000:
      return 'request';
    case 0x0010:
      return 'indication';
    case 0x0100:
      return 'success';
    default:
      return 'error';
  }
}

export function isBinding(data: Buffer): boolean {
  return (data.readUInt16BE(0) & 0x3eef) === methods.BINDING;
}

export interface ParsedBindingRequest {
  transactionId: Buffer;
  username: string;
  priority: number | undefined;
  iceControlling: boolean;
  iceControlled: boolean;
  useCandidate: boolean;
}

/** Parses a binding request and checks MESSAGE-INTEGRITY against `key`; undefined if either fails. */
export function parseBindingRequest(data: Buffer, key: Buffer): ParsedBindingRequest | undefined {
  const m = parseMessage(data, key);
  if (m === undefined) return undefined;
  const username: unknown = m.getAttributeValue('USERNAME');
  const priority: unknown = m.getAttributeValue('PRIORITY');
  if (typeof username !== 'string') return undefined;
  const keys = m.attributesKeys;
  return {
    transactionId: m.transactionId,
    username,
    priority: typeof priority === 'number' ? priority : undefined,
    iceControlling: keys.includes('ICE-CONTROLLING'),
    iceControlled: keys.includes('ICE-CONTROLLED'),
    useCandidate: keys.includes('USE-CANDIDATE'),
  };
}

export interface ParsedBindingResponse {
  success: boolean;
  errorCode: number | undefined;
}

/** Parses a binding response authenticated with `key`; undefined if MESSAGE-INTEGRITY fails. */
export function parseBindingResponse(data: Buffer, key: Buffer): ParsedBindingResponse | undefined {
  const m = parseMessage(data, key);
  if (m === undefined) return undefined;
  if (m.messageClass === classes.RESPONSE) return { success: true, errorCode: undefined };
  const error: unknown = m.getAttributeValue('ERROR-CODE');
  const code = Array.isArray(error) && typeof error[0] === 'number' ? error[0] : undefined;
  return { success: false, errorCode: code };
}
