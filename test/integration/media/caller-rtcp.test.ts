import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator } from '../../../src/media/port-allocator.js';
import { Cleanups, driveTone, makeEndpoint, makePhone, sdpPort, until } from '../../support/caller-endpoint-harness.js';
import { freeConsecutivePorts } from '../../support/free-ports.js';
import { RtcpPeer } from '../../support/rtcp-peer.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Reports every ~0.2 s instead of ~5 s, so that a test sees several. */
const FAST = { rtcpIntervalMs: 200 };

async function peer(make: () => Promise<RtcpPeer> | RtcpPeer): Promise<RtcpPeer> {
  const p = await make();
  cleanups.add(() => p.close());
  return p;
}

function rtcpAttribute(answer: string): number | undefined {
  const m = /^a=rtcp:(\d+)/m.exec(answer);
  return m === null ? undefined : Number(m[1]);
}

describe('RTCP with the phone', () => {
  it('reports to the RTCP port the phone names, and measures the round trip and its loss from the answers', async () => {
    const phone = await makePhone(cleanups, 'PCMU');
    const rtcp = await peer(() => RtcpPeer.ownSocket());
    rtcp.lostOfTheirs = 3;
    const ep = await makeEndpoint(cleanups, FAST);
    const answer = ep.answer(phone.offer({ rtcpPort: rtcp.port }));
    phone.sendTo('127.0.0.1', sdpPort(answer));
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);

    await until(() => ep.stats().rtcp?.rttMs !== undefined, 5000, 'a round trip');
    const s = ep.stats();
    // Loopback: the round trip is the time our SR and its answer spent in sockets and event
    // loops, the peer's 20 ms hold taken out (DLSR).
    expect(s.rtcp!.rttMs!).toBeGreaterThanOrEqual(0);
    expect(s.rtcp!.rttMs!).toBeLessThan(rtcp.holdMs + 500);
    expect(s.rtcp).toMatchObject({ remotePacketsLost: 3 });
    expect(s.rtcp!.reportsReceived).toBeGreaterThanOrEqual(1);

    // Our reports: an SR from the SSRC of the RTP the phone receives, with a block about the phone's stream.
    const sr = rtcp.senderReports().at(-1)!;
    expect(sr.ssrc).toBe(phone.received.at(-1)!.ssrc);
    expect(sr.packetCount).toBeGreaterThan(0);
    expect(sr.reports.map((b) => b.ssrc)).toContain(phone.ssrc);
    // Our RTCP port is RTP + 1 when that was free, and the answer only names it otherwise.
    const ourRtcpPort = Number(rtcp.sources[0]!.split(':')[1]);
    expect(rtcpAttribute(answer) ?? ep.localPort + 1).toBe(ourRtcpPort);
  });

  it('answers rtcp-mux with rtcp-mux and reports over the RTP port', async () => {
    const phone = await makePhone(cleanups, 'G722');
    const rtcp = await peer(() => RtcpPeer.muxed(phone));
    const ep = await makeEndpoint(cleanups, FAST);
    const answer = ep.answer(phone.offer({ rtcpMux: true }));
    expect(answer).toContain('a=rtcp-mux\r\n');
    expect(rtcpAttribute(answer)).toBeUndefined();
    phone.sendTo('127.0.0.1', sdpPort(answer));
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);

    await until(() => ep.stats().rtcp?.rttMs !== undefined, 5000, 'a round trip');
    expect(rtcp.sources.every((s) => s === `127.0.0.1:${ep.localPort}`)).toBe(true);
    // RTCP on the RTP port is neither audio nor a drop.
    expect(ep.stats().dropped.rtcp).toBe(0);
    expect(ep.stats().dropped.payloadType).toBe(0);
  });

  it('answers where the phone reports from, not where its SDP said (symmetric RTCP behind NAT)', async () => {
    const phone = await makePhone(cleanups, 'PCMA');
    const advertised = await peer(() => RtcpPeer.ownSocket());
    advertised.answers = false;
    const mapped = await peer(() => RtcpPeer.ownSocket());
    const ep = await makeEndpoint(cleanups, FAST);
    // The phone names one RTCP port; its NAT maps the reports it sends to another.
    const answer = ep.answer(phone.offer({ rtcpPort: advertised.port }));
    phone.sendTo('127.0.0.1', sdpPort(answer));
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await until(() => ep.stats().latchedTo !== undefined, 2000, 'RTP latched');
    mapped.sendTo('127.0.0.1', rtcpAttribute(answer) ?? sdpPort(answer) + 1);
    mapped.sendEmptyReport();

    await until(() => mapped.senderReports().length >= 2, 5000, 'our SRs at the port the reports came from');
    await until(() => ep.stats().rtcp?.rttMs !== undefined, 5000, 'a round trip through the mapped port');
    const before = advertised.received.length;
    await until(() => mapped.senderReports().length >= 4, 5000, 'more SRs');
    expect(advertised.received.length).toBe(before);
  });

  it("answers the phone's first report at once, where it came from, so its next report carries the round trip", async () => {
    const phone = await makePhone(cleanups, 'PCMU');
    const rtcp = await peer(() => RtcpPeer.ownSocket());
    // A nominal interval far longer than the test: any SR it sees is the immediate answer.
    const ep = await makeEndpoint(cleanups, { rtcpIntervalMs: 600_000 });
    const answer = ep.answer(phone.offer());
    phone.sendTo('127.0.0.1', sdpPort(answer));
    phone.startTone(1000);
    await until(() => ep.stats().latchedTo !== undefined, 2000, 'RTP latched');
    rtcp.sendTo('127.0.0.1', rtcpAttribute(answer) ?? sdpPort(answer) + 1);
    rtcp.sendEmptyReport();
    await until(() => rtcp.senderReports().length === 1, 2000, 'our SR in answer');
    await until(() => ep.stats().rtcp?.rttMs !== undefined, 2000, 'the round trip from the RR to it');
    expect(ep.stats().rtcp?.reportsSent).toBe(1);
  });

  it("sends nothing to a port the phone neither named nor reported from (RTP + 1 is only a guess)", async () => {
    const phone = await makePhone(cleanups, 'PCMU');
    const ep = await makeEndpoint(cleanups, FAST);
    phone.sendTo('127.0.0.1', sdpPort(ep.answer(phone.offer())));
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    // Three nominal intervals: the first report was due (at the latest) after 0.75 of one.
    await new Promise((r) => setTimeout(r, 3 * FAST.rtcpIntervalMs));
    expect(ep.stats().rtcp).toMatchObject({ reportsSent: 0, reportsReceived: 0 });
    expect(ep.stats().packetsOut).toBeGreaterThan(0);
  });

  it('reads no RTCP from another address than the phone', async () => {
    const phone = await makePhone(cleanups, 'PCMU');
    const ep = await makeEndpoint(cleanups, FAST);
    const answer = ep.answer(phone.offer({ address: '127.0.0.2' }));
    const stranger = await peer(() => RtcpPeer.ownSocket());
    stranger.sendTo('127.0.0.1', rtcpAttribute(answer) ?? sdpPort(answer) + 1);
    stranger.sendEmptyReport();
    await until(() => ep.stats().dropped.rtcp === 1, 2000, 'the stranger counted');
    expect(ep.stats().rtcp?.reportsReceived).toBe(0);
  });

  it("keeps RTCP off a range's last free port, and off entirely with CALLER_RTCP=mux", async () => {
    const base = await freeConsecutivePorts(2);
    const allocator = new PortAllocator({ min: base, max: base + 1 });
    const ep = await makeEndpoint(cleanups, { portAllocator: allocator });
    expect(allocator.inUse).toBe(1);
    // The last port is for the bridge, so this call goes without RTCP unless its phone muxes.
    const plain = await makePhone(cleanups, 'PCMU');
    const answer = ep.answer(plain.offer());
    expect(rtcpAttribute(answer)).toBeUndefined();
    expect(ep.stats().rtcp).toBeUndefined();
    await ep.close();

    const muxOnly = await makeEndpoint(cleanups, { rtcp: 'mux' });
    muxOnly.answer(plain.offer());
    expect(muxOnly.stats().rtcp).toBeUndefined();
    const muxing = await makeEndpoint(cleanups, { rtcp: 'mux' });
    muxing.answer(plain.offer({ rtcpMux: true }));
    expect(muxing.stats().rtcp).toMatchObject({ reportsSent: 0, reportsReceived: 0 });
  });
});
