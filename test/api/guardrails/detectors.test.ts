import { expect } from 'chai';
import { BUILTIN, ibanValid, luhnValid } from '../../../api/src/guardrails/detectors.js';

const found = (name: keyof typeof BUILTIN, text: string) =>
  BUILTIN[name].find(text).map((s) => text.slice(s.start, s.end));

describe('guardrails/detectors', () => {
  it('luhnValid and ibanValid check the checksums', () => {
    expect(luhnValid('4111111111111111')).to.equal(true);
    expect(luhnValid('4111111111111112')).to.equal(false);
    expect(ibanValid('GB82WEST12345698765432')).to.equal(true);
    expect(ibanValid('GB82WEST12345698765433')).to.equal(false);
  });

  const cases: [keyof typeof BUILTIN, string, string[]][] = [
    // Cards: Luhn-valid 13-19 digits with spaces or dashes; near misses are not cards.
    ['creditCard', 'card 4111 1111 1111 1111 ok', ['4111 1111 1111 1111']],
    ['creditCard', 'card 4111-1111-1111-1111.', ['4111-1111-1111-1111']],
    ['creditCard', 'amex 378282246310005', ['378282246310005']],
    ['creditCard', 'luhn fails 4111 1111 1111 1112', []],
    ['creditCard', 'order 1234567890123', []],
    ['creditCard', 'too short 4111 1111 111', []],
    ['creditCard', 'inside a longer run 41111111111111110000000', []],
    ['creditCard', 'all zeros 0000 0000 0000 0000', []],
    // SSN: AAA-GG-SSSS, never issued ranges excluded.
    ['usSsn', 'ssn 123-45-6789.', ['123-45-6789']],
    ['usSsn', 'ssn 123 45 6789', ['123 45 6789']],
    ['usSsn', 'area 000-12-3456, 666-12-3456, 912-34-5678', []],
    ['usSsn', 'group 123-00-4567, serial 123-45-0000', []],
    ['usSsn', 'mixed 123-45 6789, date 2024-01-15, phone 555-123-4567', []],
    // Email.
    ['email', 'write to alice.smith+x@mail.example.co.uk.', ['alice.smith+x@mail.example.co.uk']],
    ['email', 'not an email: alice@localhost or @handle or a@b', []],
    // Phone: written as a phone number; dates, plain numbers and versions are not.
    ['phone', 'call +44 20 7946 0958 now', ['+44 20 7946 0958']],
    [
      'phone',
      'call (415) 555-0100 or 415-555-0100 or 415.555.0100',
      ['(415) 555-0100', '415-555-0100', '415.555.0100'],
    ],
    ['phone', 'e164 +14155550100', ['+14155550100']],
    ['phone', 'date 2024-01-15, 2024.01.15, id 4155550100, pi 3.14159, v1.2.3, 192.168.1.1', []],
    ['phone', 'ssn 123-45-6789, card 4111 1111 1111 1111', []],
    // IBAN: mod-97 checked.
    ['iban', 'iban GB82 WEST 1234 5698 7654 32 ok', ['GB82 WEST 1234 5698 7654 32']],
    ['iban', 'DE89370400440532013000', ['DE89370400440532013000']],
    ['iban', 'bad check GB83 WEST 1234 5698 7654 32', []],
    // Secrets: API-key-like strings.
    [
      'secret',
      'key sk-proj-abcdefghijklmnopqrstuvwxyz123456 end',
      ['sk-proj-abcdefghijklmnopqrstuvwxyz123456'],
    ],
    ['secret', 'aws AKIAIOSFODNN7EXAMPLE', ['AKIAIOSFODNN7EXAMPLE']],
    ['secret', `gh ghp_${'a1B2'.repeat(9)}`, [`ghp_${'a1B2'.repeat(9)}`]],
    ['secret', 'slack xoxb-1234567890-abcdefghij', ['xoxb-1234567890-abcdefghij']],
    ['secret', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abcdefgh', ['eyJhbGciOiJIUzI1NiJ9.abcdefgh']],
    ['secret', 'api_key="0123456789abcdef0123456789abcdef"', ['0123456789abcdef0123456789abcdef']],
    ['secret', 'a task-list, skeleton keys, token: short, AKIA123', []],
    [
      'secret',
      'password: hunter2hunter2hunter2, token=abcdefghijklmnopqrst',
      ['hunter2hunter2hunter2', 'abcdefghijklmnopqrst'],
    ],
    // Before: code in an answer lost its names (a call, or a dotted name without a digit, is not a key).
    [
      'secret',
      'const password = getPasswordFromVault(); token: process.env.GITHUB_TOKEN_VALUE; secret=settings.signing_secret_key',
      [],
    ],
  ];
  for (const [name, text, expected] of cases)
    it(`${name} in ${JSON.stringify(text)} finds ${JSON.stringify(expected)}`, () => {
      expect(found(name, text)).to.deep.equal(expected);
    });
});
