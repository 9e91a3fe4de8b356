import { ConferenceMapperClient, ConferenceMapperError } from '../sip/pin/conference-mapper.js';
import { messageOf, ok, problem, skipped, type CheckOutcome } from './check.js';

/** A PIN no meeting is likely to have; whatever the mapper says about it, the shape is what counts. */
const TEST_PIN = '0000000000';

/**
 * CONFERENCE_MAPPER_URL answers a PIN lookup the way the PIN prompt reads it: JSON with a
 * `conference` (a room, or false for an unknown PIN). The lookup goes through the gateway's own
 * client, so every failure it would meet on a call shows here.
 */
export async function checkConferenceMapper(url: string | undefined, builtIn: string | undefined, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<CheckOutcome> {
  if (url === undefined) return skipped(builtIn ?? 'CONFERENCE_MAPPER_URL is not set: no external PIN lookup');
  let body: unknown;
  const peek: typeof fetch = async (input, init) => {
    const res = await fetchImpl(input, init);
    // Read a copy for the shape check below; the client reads the original.
    body = await res.clone().json().catch(() => undefined);
    return res;
  };
  const client = new ConferenceMapperClient(url, timeoutMs, peek);
  try {
    const room = await client.roomForPin(TEST_PIN);
    if (body !== undefined && (body === null || typeof body !== 'object' || !('conference' in body))) {
      return problem(`${url} answered JSON without a 'conference' field`, "CONFERENCE_MAPPER_URL must be the conference mapper's lookup endpoint (answers {\"id\":…,\"conference\":…}), e.g. https://api.example.com/conferenceMapper");
    }
    return ok(`${url} answers a lookup of test PIN ${TEST_PIN} (${room === undefined ? 'unknown, as expected' : `mapped to ${room}`})`);
  } catch (err) {
    if (err instanceof ConferenceMapperError && /not JSON/.test(err.message)) {
      return problem(`${url}: ${err.message}`, "CONFERENCE_MAPPER_URL points at something other than the mapper API (a web page?): use the lookup endpoint Jitsi Meet's config names as dialInConfCodeUrl");
    }
    if (err instanceof ConferenceMapperError && /unreachable/.test(err.message)) {
      return problem(`${url}: ${err.message}`, 'the mapper cannot be reached from this host: check the URL, DNS and any proxy or firewall');
    }
    return problem(`${url}: ${messageOf(err)}`, 'the mapper answered an error: see its log, and check that the URL is its lookup endpoint');
  }
}
