import {
  chooseIdNumber,
  cleanText,
  entryDescription,
  entryName,
  externalRef,
  isPhoneIdNumber,
  shortRef,
  syntheticIdNumber,
  truncateUtf16,
} from '../../../src/planner';

describe('truncateUtf16', () => {
  it('leaves short text alone', () => {
    expect(truncateUtf16('Anna', 25)).toBe('Anna');
  });

  it('never cuts a surrogate pair', () => {
    const text = `${'a'.repeat(24)}😀b`;
    expect(truncateUtf16(text, 25)).toBe('a'.repeat(24));
    expect(truncateUtf16('😀😀😀', 5)).toBe('😀😀');
  });

  it('keeps a grapheme cluster whole or drops it (ZWJ family, skin tone, combining accent)', () => {
    const family = '👨‍👩‍👧'; // 8 UTF-16 units
    expect(truncateUtf16(`${'x'.repeat(20)}${family}`, 25)).toBe('x'.repeat(20));
    expect(truncateUtf16(`${'x'.repeat(22)}👍🏽`, 25)).toBe('x'.repeat(22));
    expect(truncateUtf16(`${'x'.repeat(24)}e\u0301`, 25)).toBe('x'.repeat(24));
  });

  it('falls back to code points when a single cluster is longer than the limit', () => {
    const zalgo = `a${'\u0301'.repeat(40)}`;
    expect(truncateUtf16(zalgo, 25)).toHaveLength(25);
  });
});

describe('names and descriptions', () => {
  it('collapses whitespace and trims', () => {
    expect(entryName('  Anna \t  Svensson\n', 'X', 'a/X')).toBe('Anna Svensson');
    expect(cleanText('a\u0000b\u202ec')).toBe('a bc');
  });

  it('shortens a long name to 25 without a trailing space', () => {
    expect(entryName('Maximiliane Alexandra von Habsburg-Lothringen', 'X', 'a/X')).toBe(
      'Maximiliane Alexandra von',
    );
    expect(entryName('Anna-Karin Johansson Lindqvist', 'X', 'a/X')).toBe('Anna-Karin Johansson Lind');
  });

  it('keeps emoji names valid', () => {
    const name = entryName('🏖️🏖️🏖️🏖️🏖️🏖️🏖️🏖️🏖️ beach family', 'X', 'a/X');
    expect(name.length).toBeLessThanOrEqual(25);
    expect(name).toBe('🏖️🏖️🏖️🏖️🏖️🏖️🏖️🏖️');
  });

  it('falls back to the booking ref when there is no usable name', () => {
    expect(entryName(undefined, 'HM4T9XK2PQ', 'airbnb/HM4T9XK2PQ')).toBe('HM4T9XK2PQ');
    expect(entryName('   ', 'HM4T9XK2PQ', 'airbnb/HM4T9XK2PQ')).toBe('HM4T9XK2PQ');
  });

  it('description is the tag and the externalId when it fits', () => {
    expect(entryDescription('fs:', 'HM4T9XK2PQ', 'airbnb/HM4T9XK2PQ')).toBe('fs:HM4T9XK2PQ');
    expect(entryDescription('fs:', 'x'.repeat(22), 'a/x')).toBe(`fs:${'x'.repeat(22)}`);
  });

  it('a long externalId becomes a prefix and a hash, 25 in all, deterministic', () => {
    const id = 'f3a1c9e0-5b7d-4e2a-9c4f-1d2e3f4a5b6c';
    const description = entryDescription('fs:', id, `ical/${id}`);
    expect(description).toHaveLength(25);
    expect(description).toMatch(/^fs:f3a1c9e0-5b7d-4~[a-z2-7]{6}$/);
    expect(entryDescription('fs:', id, `ical/${id}`)).toBe(description);
    const sibling = `${id.slice(0, 20)}ffffffffffffffff`;
    expect(entryDescription('fs:', sibling, `ical/${sibling}`)).not.toBe(description);
  });

  it('two sources with the same long externalId get different descriptions', () => {
    const id = 'y'.repeat(40);
    expect(shortRef(id, `a/${id}`, 22)).not.toBe(shortRef(id, `b/${id}`, 22));
  });

  it('the FlexyKey external reference is the key, shortened over 64', () => {
    expect(externalRef('airbnb/HM1')).toBe('airbnb/HM1');
    const long = `pms/${'z'.repeat(100)}`;
    expect(externalRef(long)).toHaveLength(64);
    expect(externalRef(long)).toMatch(/^pms\/z+~[a-z2-7]{8}$/);
  });
});

describe('idNumber', () => {
  const base = {
    key: 'airbnb/HM1',
    phone: '+46701234567',
    usePhone: true,
    prefix: 'fs',
    previous: undefined,
  };

  it('is the guest phone when free on the unit', () => {
    expect(chooseIdNumber({ ...base, taken: new Set() })).toEqual({ ok: true, idNumber: '+46701234567' });
  });

  it('is a synthetic id, with a note, when another entry on the unit has the phone', () => {
    const choice = chooseIdNumber({ ...base, taken: new Set(['+46701234567']) });
    expect(choice).toMatchObject({ ok: true, idNumber: syntheticIdNumber('fs', 'airbnb/HM1') });
    expect(choice.ok && choice.note).toContain('already the idNumber of another entry');
  });

  it('is synthetic without a phone or when the policy does not use phones', () => {
    expect(chooseIdNumber({ ...base, phone: undefined, taken: new Set() })).toEqual({
      ok: true,
      idNumber: syntheticIdNumber('fs', 'airbnb/HM1'),
    });
    expect(chooseIdNumber({ ...base, usePhone: false, taken: new Set() })).toEqual({
      ok: true,
      idNumber: syntheticIdNumber('fs', 'airbnb/HM1'),
    });
  });

  it('the synthetic id is 20 characters, starts with the prefix and is deterministic per booking', () => {
    const id = syntheticIdNumber('fs', 'airbnb/HM1');
    expect(id).toHaveLength(20);
    expect(id).toMatch(/^fs[a-z2-7]{18}$/);
    expect(syntheticIdNumber('fs', 'airbnb/HM1')).toBe(id);
    expect(syntheticIdNumber('fs', 'airbnb/HM2')).not.toBe(id);
    expect(syntheticIdNumber('fsxyzw', 'airbnb/HM1')).toHaveLength(20);
    expect(isPhoneIdNumber(id)).toBe(false);
    expect(isPhoneIdNumber('+46701234567')).toBe(true);
  });

  it('salts the synthetic id in the rare case it is taken', () => {
    const first = syntheticIdNumber('fs', 'airbnb/HM1');
    const choice = chooseIdNumber({ ...base, phone: undefined, taken: new Set([first]) });
    expect(choice).toEqual({ ok: true, idNumber: syntheticIdNumber('fs', 'airbnb/HM1', 1) });
    expect(syntheticIdNumber('fs', 'airbnb/HM1', 1)).not.toBe(first);
  });

  it('keeps a recorded synthetic id (e.g. from an older prefix) while the phone cannot be used', () => {
    expect(chooseIdNumber({ ...base, phone: undefined, previous: 'oldabc123', taken: new Set() })).toEqual({
      ok: true,
      idNumber: 'oldabc123',
    });
  });

  it('moves to the phone when it becomes usable, and follows a changed phone', () => {
    expect(
      chooseIdNumber({ ...base, previous: syntheticIdNumber('fs', 'airbnb/HM1'), taken: new Set() }),
    ).toEqual({
      ok: true,
      idNumber: '+46701234567',
    });
    expect(chooseIdNumber({ ...base, previous: '+46709999999', taken: new Set() })).toEqual({
      ok: true,
      idNumber: '+46701234567',
    });
  });

  it('leaves a recorded phone id when the policy stops using phones', () => {
    expect(chooseIdNumber({ ...base, usePhone: false, previous: '+46701234567', taken: new Set() })).toEqual({
      ok: true,
      idNumber: syntheticIdNumber('fs', 'airbnb/HM1'),
    });
  });
});
