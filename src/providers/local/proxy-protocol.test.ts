import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROXY_PROTOCOL_ANNOTATION, proxyProtocolHeader, proxyProtocolOf } from './proxy-protocol.js';

// The v2 signature, from the specification (section 2.2).
const SIG = '0d0a0d0a000d0a515549540a';

describe('PROXY protocol header', () => {
  it('v1 over IPv4 and IPv6 is the text line of the specification', () => {
    assert.equal(
      proxyProtocolHeader('v1', { sourceAddress: '192.0.2.10', sourcePort: 51234, destinationAddress: '127.0.77.1', destinationPort: 8080 }).toString('latin1'),
      'PROXY TCP4 192.0.2.10 127.0.77.1 51234 8080\r\n',
    );
    assert.equal(
      proxyProtocolHeader('v1', { sourceAddress: '2001:DB8:0:0:0:0:0:1', sourcePort: 1, destinationAddress: '::1', destinationPort: 443 }).toString('latin1'),
      'PROXY TCP6 2001:db8::1 ::1 1 443\r\n',
    );
  });

  it('v2 over IPv4: signature, PROXY command, TCP over IPv4, 12 bytes of addresses and ports', () => {
    const header = proxyProtocolHeader('v2', { sourceAddress: '192.0.2.10', sourcePort: 51234, destinationAddress: '127.0.77.1', destinationPort: 8080 });
    assert.equal(header.toString('hex'), `${SIG}2111000c` + 'c000020a' + '7f004d01' + 'c822' + '1f90');
  });

  it('v2 over IPv6: TCP over IPv6, 36 bytes', () => {
    const header = proxyProtocolHeader('v2', { sourceAddress: '2001:db8::1', sourcePort: 1, destinationAddress: '::1', destinationPort: 443 });
    assert.equal(header.toString('hex'), `${SIG}21210024` + '20010db8000000000000000000000001' + '00000000000000000000000000000001' + '0001' + '01bb');
  });

  it('an IPv4-mapped client address (dual-stack socket) is sent as IPv4', () => {
    assert.equal(
      proxyProtocolHeader('v1', { sourceAddress: '::ffff:192.0.2.10', sourcePort: 5, destinationAddress: '127.0.77.1', destinationPort: 80 }).toString('latin1'),
      'PROXY TCP4 192.0.2.10 127.0.77.1 5 80\r\n',
    );
  });

  it('ends of different families (or no address) give v1 UNKNOWN and the v2 LOCAL command', () => {
    const c = { sourceAddress: '2001:db8::1', sourcePort: 1, destinationAddress: '127.0.77.1', destinationPort: 80 };
    assert.equal(proxyProtocolHeader('v1', c).toString('latin1'), 'PROXY UNKNOWN\r\n');
    assert.equal(proxyProtocolHeader('v2', c).toString('hex'), `${SIG}20000000`);
    assert.equal(proxyProtocolHeader('v2', { ...c, sourceAddress: '' }).toString('hex'), `${SIG}20000000`);
  });

  it('the annotation takes v1 or v2 (any case, blank = none) and names itself when it is anything else', () => {
    const svc = (value?: string) => ({ metadata: { ...(value !== undefined && { annotations: { [PROXY_PROTOCOL_ANNOTATION]: value } }) } });
    assert.equal(proxyProtocolOf(svc()), undefined);
    assert.equal(proxyProtocolOf(svc(' ')), undefined);
    assert.equal(proxyProtocolOf(svc('V2')), 'v2');
    assert.equal(proxyProtocolOf(svc('v1')), 'v1');
    assert.throws(() => proxyProtocolOf(svc('true')), /^Error: annotation outrigger\.io\/proxy-protocol: "true" is not a PROXY protocol version \(v1 or v2\)$/);
  });
});
