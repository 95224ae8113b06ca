import { languageOf, translate } from './messages';

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

  it('keeps the spec’s wording', () => {
    expect(translate('process_failed', 'id')).toBe('Proses gagal');
    expect(translate('register_ok', 'id')).toBe('Register akun berhasil');
    expect(translate('invalid_credentials', 'id')).toBe('Email atau password salah');
  });
});
