import { expect, it } from 'vitest';
import { isInternalAddress } from './addresses.ts';

it('refuses loopback, private, link-local, CGNAT and mapped internal addresses; admits public ones', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'nonsense']) {
    expect(isInternalAddress(ip), ip).toBe(true);
  }
  for (const ip of ['8.8.8.8', '172.32.0.1', '223.5.5.5', '2400:3200::1', '::ffff:8.8.8.8']) expect(isInternalAddress(ip), ip).toBe(false);
});
