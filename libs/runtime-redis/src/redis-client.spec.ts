import { parseClusterUrl } from './redis-client';

describe('parseClusterUrl', () => {
  it('reads the seed nodes, replicaAcks and a nat map in any order', () => {
    const t = parseClusterUrl('redis+cluster://127.0.0.1:41001,127.0.0.1:41002?nat=127.0.0.1:7000=127.0.0.1:41001,10.0.0.5:7001=127.0.0.1:41002&replicaAcks=0');
    expect(t.nodes).toEqual([
      { host: '127.0.0.1', port: 41001 },
      { host: '127.0.0.1', port: 41002 },
    ]);
    expect(t.replicaAcks).toBe(0);
    expect(t.natMap).toEqual({ '127.0.0.1:7000': { host: '127.0.0.1', port: 41001 }, '10.0.0.5:7001': { host: '127.0.0.1', port: 41002 } });
  });

  it('defaults: one replica ack, no nat map', () => {
    const t = parseClusterUrl('redis+cluster://a:1');
    expect([t.replicaAcks, t.natMap]).toEqual([1, undefined]);
  });

  it('refuses a malformed nat entry and an unknown query', () => {
    expect(() => parseClusterUrl('redis+cluster://a:1?nat=a:1')).toThrow(/nat entry "a:1"/);
    expect(() => parseClusterUrl('redis+cluster://a:1?nat=a:1=b')).toThrow(/"b" is not host:port/);
    expect(() => parseClusterUrl('redis+cluster://a:1?foo=1')).toThrow(/unknown query "foo=1"/);
  });
});
