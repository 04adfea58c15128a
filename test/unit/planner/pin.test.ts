import { COMMON_PINS, drawPin, isTrivialPin, MAX_PIN_DRAWS, trivialPinReason } from '../../../src/planner';
import { scripted } from './fixtures';

describe('trivial PINs', () => {
  it.each([
    ['0000', 'all one digit'],
    ['1111', 'all one digit'],
    ['9999999', 'all one digit'],
    ['1234', 'an ascending run'],
    ['0123', 'an ascending run'],
    ['7890', 'an ascending run'],
    ['8901', 'an ascending run'],
    ['123456', 'an ascending run'],
    ['3456789', 'an ascending run'],
    ['6543', 'a descending run'],
    ['3210', 'a descending run'],
    ['2109', 'a descending run'],
    ['654321', 'a descending run'],
    ['1212', 'a repeating pattern'],
    ['123123', 'a repeating pattern'],
    ['121212', 'a repeating pattern'],
    ['12121', 'a repeating pattern'],
    ['1231231', 'a repeating pattern'],
    ['696969', 'a repeating pattern'],
    ['1313', 'a repeating pattern'],
    ['112233', 'doubled digits'],
    ['1122', 'doubled digits'],
    ['998877', 'doubled digits'],
    ['123321', 'a mirrored pattern'],
    ['1004', 'one of the most common PINs'],
    ['2000', 'one of the most common PINs'],
    ['2580', 'one of the most common PINs'],
    ['0852', 'one of the most common PINs'],
    ['6969', 'one of the most common PINs'],
    ['159753', 'one of the most common PINs'],
    ['147258', 'one of the most common PINs'],
    ['8675309', 'one of the most common PINs'],
  ])('%s is trivial (%s)', (pin, reason) => {
    // Earlier rules win: 6969 is a repeating pattern before it is a common PIN.
    const expected = pin === '6969' ? 'a repeating pattern' : reason;
    expect(trivialPinReason(pin)).toBe(expected);
    expect(isTrivialPin(pin)).toBe(true);
  });

  it.each(['2741', '5082', '390517', '482917', '7294816', '1357924', '0471', '90210'])(
    '%s is fine',
    (pin) => {
      expect(trivialPinReason(pin)).toBeUndefined();
    },
  );

  it('refuses what is not 4–7 digits', () => {
    for (const pin of ['123', '12345678', '12a4', '']) expect(trivialPinReason(pin)).toBe('not 4–7 digits');
  });

  it('lists only 4–7 digit codes the structural rules would not all catch', () => {
    for (const pin of COMMON_PINS) expect(pin).toMatch(/^\d{4,7}$/);
  });

  it('rejects a small share of the space, not a large one', () => {
    let trivial = 0;
    for (let value = 0; value < 10_000; value++) if (isTrivialPin(String(value).padStart(4, '0'))) trivial++;
    // 10 repdigits, 20 runs, 90 other period-2 codes, 90 other aabb codes, the list: a few percent at most.
    expect(trivial).toBeGreaterThan(200);
    expect(trivial).toBeLessThan(300);
  });
});

describe('drawPin', () => {
  it('pads to the policy length so leading zeros are kept', () => {
    expect(drawPin(6, new Set(), scripted(4_719))).toEqual({ ok: true, pin: '004719' });
    expect(drawPin(4, new Set(), scripted(47))).toEqual({ ok: true, pin: '0047' });
  });

  it('asks randomInt for [0, 10^length)', () => {
    const calls: [number, number][] = [];
    drawPin(7, new Set(), (min, max) => {
      calls.push([min, max]);
      return 4_829_173;
    });
    expect(calls).toEqual([[0, 10_000_000]]);
  });

  it('draws again past trivial and taken codes', () => {
    const random = scripted(123_456, 111_111, 390_517, 804_213);
    expect(drawPin(6, new Set(['390517']), random)).toEqual({ ok: true, pin: '804213' });
    expect(random.calls).toBe(4);
  });

  it('gives up after a bounded number of draws', () => {
    const random = scripted(111_111);
    expect(drawPin(6, new Set(), random)).toEqual({ ok: false, draws: MAX_PIN_DRAWS });
    expect(random.calls).toBe(MAX_PIN_DRAWS);
  });

  it('refuses a randomInt that answers outside its range', () => {
    expect(() => drawPin(4, new Set(), () => 10_000)).toThrow(RangeError);
    expect(() => drawPin(4, new Set(), () => -1)).toThrow(RangeError);
    expect(() => drawPin(4, new Set(), () => 1.5)).toThrow(RangeError);
  });
});
