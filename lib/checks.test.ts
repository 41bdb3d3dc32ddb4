import { describe, it, expect } from 'vitest';
import {
  CERT_PATTERNS, orgCodeCheckChar, orgCodeProblem, residentIdCheckChar, residentIdProblem, upgradeResidentId15, usccCheckChar,
  usccProblem,
} from './checks.ts';

// Vectors verified in shared/reference/cn-credit-data-standards.md §3.5, §4.1, §4.2.
const VALID_USCC = [
  '91371300328348377N', '913713006140090858', '913713000673687316', '91110000600037341L', '91340600MA2PBM9HXD',
  '92340603MA2PBMD304', '121200004013590816', '91230500MA1B3N1N2M', '11230500001755309F',
];

describe('USCC (GB 32100-2015)', () => {
  it.each(VALID_USCC)('%s is valid', (code) => {
    expect(usccProblem(code)).toBeNull();
    expect(usccCheckChar(code.slice(0, 17))).toBe(code[17]);
  });

  it('reports a wrong check character', () => {
    expect(usccProblem('91371300328348377M')).toBe('checkChar');
  });

  it('reports characters outside the 31-character set', () => {
    expect(usccProblem('91371300328348377I')).toBe('charset');
    expect(usccProblem('9137130032834837O7')).toBe('charset');
    expect(usccProblem('91371300328348377n')).toBe('charset'); // callers upper-case first
  });

  it('reports a wrong length', () => {
    expect(usccProblem('91371300328348377')).toBe('length');
    expect(usccProblem('91371300328348377NN')).toBe('length');
    expect(usccProblem('')).toBe('length');
  });

  it('reports letters in the division part', () => {
    const body = '91A71300328348377';
    expect(usccProblem(body + usccCheckChar(body))).toBe('region');
  });

  it('reports an embedded organisation code with a bad check even when the USCC check is right', () => {
    const body = '91371300328348378'; // org code 328348377 with its check digit changed
    const code = body + usccCheckChar(body);
    expect(usccCheckChar(code.slice(0, 17))).toBe(code[17]);
    expect(orgCodeProblem(code.slice(8, 17))).toBe('checkChar');
    expect(usccProblem(code)).toBe('orgCode');
  });

  it('the placeholder 00000000000000000X fails', () => {
    expect(usccProblem('00000000000000000X')).not.toBeNull();
  });
});

describe('organisation code (GB 11714-1997)', () => {
  it.each(['328348377', '614009085', '067368731', 'MA2PBM9HX', 'MA1B3N1N2', '001755309'])('%s is valid', (code) => {
    expect(orgCodeProblem(code)).toBeNull();
    expect(orgCodeCheckChar(code.slice(0, 8))).toBe(code[8]);
  });

  it('accepts the printed hyphen', () => {
    expect(orgCodeProblem('32834837-7')).toBeNull();
  });

  it('reports problems', () => {
    expect(orgCodeProblem('328348378')).toBe('checkChar');
    expect(orgCodeProblem('32834837')).toBe('length');
    expect(orgCodeProblem('3283483777')).toBe('length');
    expect(orgCodeProblem('32834837a')).toBe('charset');
  });

  it('spells remainder 10 as X and 11 as 0', () => {
    expect(orgCodeCheckChar('00000000')).toBe('0'); // sum 0
    expect(orgCodeCheckChar('00000001')).toBe('9'); // sum 2
    expect(orgCodeCheckChar('00000006')).toBe('X'); // sum 12, 12 mod 11 = 1
  });
});

describe('resident identity number (GB 11643-1999)', () => {
  it.each(['360426199101010071', '11010519491231002X', '321083197812162119', '81000019980902013X', '820000200009100032',
    '830000200209060065', '932682198501010017'])('%s is valid', (id) => {
    expect(residentIdProblem(id)).toBeNull();
    expect(residentIdCheckChar(id.slice(0, 17))).toBe(id[17]);
  });

  it('reports a wrong check character', () => {
    expect(residentIdProblem('360426199101010072')).toBe('checkChar');
  });

  it('reports a birth date that does not exist or is before 1900', () => {
    for (const body of ['36042619910230007', '36042619911301007', '36042618991231007', '36042619910100007']) {
      expect(residentIdProblem(body + residentIdCheckChar(body))).toBe('birthDate');
    }
  });

  it('reports length and charset', () => {
    expect(residentIdProblem('150102880730303')).toBe('length');
    expect(residentIdProblem('11010519491231002x')).toBe('charset'); // callers upper-case first
    expect(residentIdProblem('1101051949123100X2')).toBe('charset');
  });

  it('upgrades a 15-digit number to a valid 18-digit one', () => {
    expect(upgradeResidentId15('150102880730303')).toBe('150102198807303035');
    expect(upgradeResidentId15('110105491231002')).toBe('11010519491231002X');
    expect(residentIdProblem(upgradeResidentId15('150102880730303'))).toBeNull();
  });
});

describe('CERT_PATTERNS', () => {
  it.each([
    ['护照号', 'E12345678', true],
    ['护照号', 'E-1234', false],
    ['港澳居民来往内地通行证', 'H12345678', true],
    ['港澳居民来往内地通行证', 'M1234567890', true],
    ['港澳居民来往内地通行证', 'H1234567', false],
    ['台湾居民来往大陆通行证', '12345678', true],
    ['台湾居民来往大陆通行证', 'A123456789', true],
    ['台湾居民来往大陆通行证', '1234567', false],
    ['外国人永久居留身份证', 'USA123456789012', true],
    ['外国人永久居留身份证', '932682198501010017', true],
    ['外国人永久居留身份证', '832682198501010017', false],
  ])('%s %s -> %s', (type, number, ok) => expect(CERT_PATTERNS[type].test(number)).toBe(ok));
});
