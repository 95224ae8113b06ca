import { IsIn, MaxLength, validate } from 'class-validator';
import { languageOf, MESSAGE_KEYS, MESSAGE_PLACEHOLDERS, translate } from './messages';
import { toReason } from './validation';

describe('languageOf', () => {
  it.each([
    [undefined, 'id'],
    ['', 'id'],
    ['en', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['id-ID,id;q=0.9,en;q=0.8', 'id'],
    ['fr-FR,en;q=0.5', 'en'],
    ['de', 'id'],
    ['en;q=0', 'id'],
    ['id;q=0.5,en;q=0.7', 'en'],
  ])('reads Accept-Language %j as %s', (header, lang) => {
    expect(languageOf(header)).toBe(lang);
  });
});

describe('translate', () => {
  it('fills the field label in the right language and capitalises', () => {
    expect(translate({ key: 'v_required', params: { field: 'email' } }, 'id')).toBe('Email harus diisi');
    expect(translate({ key: 'v_required', params: { field: 'no_tlp' } }, 'en')).toBe('Phone number is required');
    expect(translate({ key: 'v_max_length', params: { field: 'name', max: 100 } }, 'id')).toBe('Nama maksimal 100 karakter');
  });

  it('shows a value as it is, even one that looks like a replacement pattern or a placeholder', () => {
    expect(translate({ key: 'v_unknown_field', params: { name: '$&' } }, 'id')).toBe('Field $& tidak dikenal');
    expect(translate({ key: 'v_unknown_field', params: { name: "$'$`$$" } }, 'en')).toBe("Unknown field $'$`$$");
    expect(translate({ key: 'v_max_length', params: { field: '{max}', max: 5 } }, 'en')).toMatch(/^\{max\} .*5/);
  });

  it('keeps the spec’s wording', () => {
    expect(translate('process_failed', 'id')).toBe('Proses gagal');
    expect(translate('register_ok', 'id')).toBe('Register akun berhasil');
    expect(translate('invalid_credentials', 'id')).toBe('Email atau password salah');
  });
});

describe('the catalogue', () => {
  it('uses only the placeholders the code fills, and every message renders with none left', () => {
    const params = { field: 'email', name: 'role', max: 100, values: 'a, b' };
    for (const key of MESSAGE_KEYS) {
      for (const lang of ['id', 'en'] as const) {
        const raw = translate(key, lang);
        for (const [, name] of raw.matchAll(/\{(\w+)\}/g)) expect(MESSAGE_PLACEHOLDERS, `${key} ${lang}`).toContain(name);
        expect(translate({ key, params }, lang), `${key} ${lang}`).not.toMatch(/[{}]/);
      }
    }
  });

  it('fills {max} and {values} even from a validator that gave no parameters (class-validator’s own text)', async () => {
    class Probe {
      @MaxLength(5)
      short = 'too long for five';

      @IsIn(['x', 'y'])
      pick = 'z';
    }
    const errors = await validate(Object.assign(new Probe()));
    const rendered = errors.map((error) => translate(toReason(error, error.property)!, 'en'));
    expect(rendered).toEqual(['Short must be at most 5 characters', 'Pick must be one of: x, y']);
  });
});
