import { luhnValid, redactText, redactValue } from './redact';

describe('redactText', () => {
  it.each([
    ['mail me at jane.doe+ci@example.co.uk please', 'mail me at [redacted:email] please'],
    ['OPENAI key sk-proj-abcdefghijklmnopqrstuvwxyz012345', 'OPENAI key [redacted:api_key]'],
    ['anthropic sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz_0123', 'anthropic [redacted:api_key]'],
    ['token ghp_0123456789abcdefghijABCDEFGHIJklmnop', 'token [redacted:api_key]'],
    ['pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv', 'pat [redacted:api_key]'],
    ['slack xoxb-1234567890-abcdefghij', 'slack [redacted:api_key]'],
    ['aws AKIAIOSFODNN7EXAMPLE here', 'aws [redacted:aws_key] here'],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [redacted:aws_key]'],
    ['authorization: Bearer abc.def-ghi_jkl~mno', 'authorization: Bearer [redacted:bearer]'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'jwt [redacted:jwt] end',
    ],
    ['card 4111 1111 1111 1111 exp', 'card [redacted:card] exp'],
    ['card 5500-0000-0000-0004', 'card [redacted:card]'],
    ['amex 378282246310005.', 'amex [redacted:card].'],
    ['godel key gdk_Q2xhdWRlIGlzIGEgaGVscGZ1bCBhc3Npc3RhbnQhIQ-_x9 ok', 'godel key [redacted:api_key] ok'],
    ['refresh {"refreshToken":"gdr_aGVsbG8td29ybGQtdGhpcy1pcy1hLXRva2VuLXh4eA"}', 'refresh {"refreshToken":"[redacted:api_key]"}'],
    ['DATABASE_URL=postgres://godel:s3cr3t-pw@db.internal:5432/godel', 'DATABASE_URL=postgres://godel:[redacted:url_credentials]@db.internal:5432/godel'],
    ['redis://:hunter2@127.0.0.1:6380/0 and https://bot:ghs_x@github.com/o/r.git', 'redis://:[redacted:url_credentials]@127.0.0.1:6380/0 and https://bot:[redacted:url_credentials]@github.com/o/r.git'],
  ])('redacts %j', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    'plain text with no secrets at all',
    'apiKey sk-local is the offline key', // too short to be a real key
    'task-123 and version 1.2.3 and issue #42',
    'card-like but fails Luhn: 4111 1111 1111 1112',
    'a timestamp 1764115200000 and a stream id 1764115200000-0',
    'the user@localhost has no domain',
    'ghp_short',
    'Bearer', // the word alone
    'eyJonly.two',
    'sha 3b31d0c4f5d36a643cc6aeeace2518b073215bb2',
    'https://github.com/o/r.git and postgres://db.internal:5432/godel', // no credentials in the URL
    'gdk_short',
  ])('leaves %j alone', (input) => {
    expect(redactText(input)).toBe(input);
  });
});

describe('luhnValid', () => {
  it('accepts valid card numbers and refuses others', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('424242')).toBe(false); // too short
  });
});

describe('redactValue', () => {
  it('redacts every string of nested data, keeps keys, numbers and the input untouched', () => {
    const input = { who: 'a@b.io', n: 4111111111111111, nested: [{ k: 'Bearer abcdefghijkl' }, 'x'], ok: true, nil: null };
    const out = redactValue(input);
    expect(out).toEqual({ who: '[redacted:email]', n: 4111111111111111, nested: [{ k: 'Bearer [redacted:bearer]' }, 'x'], ok: true, nil: null });
    expect(input.who).toBe('a@b.io');
  });
});
