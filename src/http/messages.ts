/** Every human-readable string the service sends, in Indonesian (default) and English. */
export type Lang = 'id' | 'en';

const MESSAGES = {
  // success
  register_ok: ['Register akun berhasil', 'Account registered'],
  activated: ['Akun anda telah aktif', 'Your account is now active'],
  already_active: ['Akun anda sudah aktif', 'Your account is already active'],
  activation_resent: [
    'Jika email terdaftar dan belum aktif, link aktivasi baru telah dikirim',
    'If the email is registered and not yet active, a new activation link has been sent',
  ],
  login_ok: ['Login berhasil', 'Login successful'],
  refresh_ok: ['Refresh token berhasil', 'Token refreshed'],
  logout_ok: ['Logout berhasil', 'Logged out'],
  get_user_ok: ['Data user berhasil diambil', 'User retrieved'],
  list_users_ok: ['Daftar user berhasil diambil', 'Users retrieved'],
  list_events_ok: ['Riwayat keamanan user berhasil diambil', 'Security history retrieved'],
  update_ok: ['Update user berhasil', 'User updated'],
  email_changed: ['Email berhasil diubah', 'Email address changed'],
  delete_ok: ['Delete user berhasil', 'User deleted'],
  forgot_ok: ['Jika email terdaftar, link reset password telah dikirim', 'If the email is registered, a password reset link has been sent'],
  reset_ok: ['Password berhasil direset', 'Password has been reset'],
  list_sessions_ok: ['Daftar sesi berhasil diambil', 'Sessions retrieved'],
  session_ended: ['Sesi berhasil diakhiri', 'Session ended'],
  health_ok: ['Service berjalan normal', 'Service is healthy'],

  // summaries of a failed operation
  process_failed: ['Proses gagal', 'Process failed'],
  login_failed: ['Login gagal', 'Login failed'],
  refresh_failed: ['Refresh token gagal', 'Token refresh failed'],
  activation_failed: ['Aktivasi gagal', 'Activation failed'],

  // reasons
  email_taken: ['Email sudah terdaftar', 'Email is already registered'],
  invalid_credentials: ['Email atau password salah', 'Incorrect email or password'],
  not_activated: ['Akun belum diaktivasi', 'Account is not activated yet'],
  activation_invalid: ['Token aktivasi tidak valid', 'Invalid activation token'],
  activation_expired: ['Aktivasi sudah expired', 'Activation link has expired'],
  email_change_invalid: ['Token perubahan email tidak valid', 'Invalid email change token'],
  email_change_expired: ['Link perubahan email sudah expired', 'Email change link has expired'],
  reset_invalid: ['Token reset password tidak valid', 'Invalid password reset token'],
  reset_expired: ['Link reset password sudah expired', 'Password reset link has expired'],
  token_invalid: ['Token tidak valid', 'Invalid token'],
  token_missing: ['Token tidak ditemukan', 'Bearer token is missing'],
  forbidden: ['Akses ditolak', 'Access denied'],
  role_forbidden: ['Hanya admin yang dapat mengubah role', 'Only an admin can change a role'],
  last_admin: ['Admin terakhir tidak dapat diturunkan', 'The last admin cannot be demoted'],
  last_admin_delete: ['Admin terakhir tidak dapat dihapus', 'The last admin cannot be deleted'],
  user_not_found: ['User tidak ditemukan', 'User not found'],
  session_not_found: ['Sesi tidak ditemukan', 'Session not found'],
  route_not_found: ['Route tidak ditemukan', 'Route not found'],
  method_not_allowed: ['Method tidak diizinkan', 'Method not allowed'],
  malformed_json: ['Body bukan JSON yang valid', 'Request body is not valid JSON'],
  json_too_deep: ['Body JSON terlalu bertingkat (maksimal 32 tingkat)', 'Request body is nested too deeply (max 32 levels)'],
  malformed_path: ['Alamat (URL) permintaan tidak valid', 'The request URL (path) is not valid'],
  headers_too_large: ['Header permintaan terlalu besar', 'Request headers are too large'],
  bad_request: ['Permintaan tidak valid', 'Bad request'],
  request_timeout: ['Permintaan terlalu lama', 'Request timed out'],
  value_too_long: ['Salah satu nilai terlalu panjang', 'A value is too long'],
  payload_too_large: ['Body terlalu besar (maksimal 100 kB)', 'Request body is too large (max 100 kB)'],
  unsupported_media_type: ['Content-Type harus application/json', 'Content-Type must be application/json'],
  too_many_requests: ['Terlalu banyak permintaan, coba lagi nanti', 'Too many requests, try again later'],
  too_many_login_failures: ['Terlalu banyak percobaan login gagal, coba lagi nanti', 'Too many failed login attempts, try again later'],
  internal: ['Terjadi kesalahan pada server', 'Internal server error'],
  database_unavailable: ['Database tidak tersedia', 'Database unavailable'],
  service_unavailable: ['Layanan sementara tidak tersedia, coba lagi nanti', 'Service temporarily unavailable, try again later'],
  current_password_required: ['Password saat ini harus diisi', 'Current password is required'],
  current_password_wrong: ['Password saat ini salah', 'Current password is incorrect'],
  confirmation_required: ['Konfirmasi password harus diisi', 'Password confirmation is required'],

  // validation, per field ({field} is the field's label)
  v_required: ['{field} harus diisi', '{field} is required'],
  v_string: ['{field} harus berupa teks', '{field} must be a string'],
  v_email: ['Format {field} tidak valid', '{field} is not a valid email address'],
  v_max_length: ['{field} maksimal {max} karakter', '{field} must be at most {max} characters'],
  v_password_min: ['{field} minimal 8 karakter', '{field} must be at least 8 characters'],
  v_password_max: ['{field} maksimal 72 byte', '{field} must be at most 72 bytes'],
  v_confirmation: ['Konfirmasi password tidak sama dengan password', 'Password confirmation does not match password'],
  v_one_of: ['{field} harus salah satu dari: {values}', '{field} must be one of: {values}'],
  v_unknown_field: ['Field {name} tidak dikenal', 'Unknown field {name}'],
  v_boolean: ['{field} harus bernilai true atau false', '{field} must be true or false'],
  v_int: ['{field} harus berupa bilangan bulat positif', '{field} must be a positive whole number'],
  v_phone: ['Format {field} tidak valid', '{field} is not a valid phone number'],
  v_uuid: ['{field} tidak valid', '{field} is not valid'],
  v_body_object: ['Body harus berupa objek JSON', 'The body must be a JSON object'],
  v_invalid: ['{field} tidak valid', '{field} is not valid'],

  // field labels
  f_name: ['Nama', 'Name'],
  f_email: ['Email', 'Email'],
  f_password: ['Password', 'Password'],
  f_confirmation: ['Konfirmasi password', 'Password confirmation'],
  f_current_password: ['Password saat ini', 'Current password'],
  f_no_tlp: ['No. telepon', 'Phone number'],
  f_gender: ['Gender', 'Gender'],
  f_role: ['Role', 'Role'],
  f_id: ['ID user', 'User id'],
  f_user_id: ['ID user', 'User id'],
  f_session_id: ['ID sesi', 'Session id'],
  f_page: ['Halaman', 'Page'],
  f_limit: ['Limit', 'Limit'],
  f_search: ['Pencarian', 'Search'],

  // the HTML pages people reach from an email link (activation, reset, email change)
  p_activate_title: ['Aktifkan akun anda', 'Activate your account'],
  p_activate_text: [
    'Link ini dikirim ke email anda karena alamat ini didaftarkan di Alat Berat. Tekan tombol di bawah untuk mengaktifkan akun.',
    'This link was emailed to you because this address was registered with Alat Berat. Press the button below to activate the account.',
  ],
  p_activate_not_you: [
    'Bukan anda yang mendaftar? Tutup saja halaman ini: akun tidak akan diaktifkan.',
    'Did not register? Just close this page: the account will not be activated.',
  ],
  p_activate_button: ['Aktifkan akun', 'Activate account'],
  p_login_next: ['Silakan login dengan email dan password anda.', 'You can now log in with your email and password.'],
  p_login_button: ['Login', 'Log in'],
  p_new_activation_link: ['Masukkan email anda untuk menerima link aktivasi baru.', 'Enter your email to receive a new activation link.'],
  p_new_reset_link: [
    'Masukkan email anda untuk menerima link reset password baru.',
    'Enter your email to receive a new password reset link.',
  ],
  p_send_link: ['Kirim link baru', 'Send a new link'],
  p_check_inbox: ['Periksa kotak masuk (dan folder spam) email anda.', 'Check your inbox (and spam folder).'],
  p_reset_title: ['Buat password baru', 'Choose a new password'],
  p_reset_hint: [
    'Minimal 8 karakter. Setelah disimpan, semua sesi login akun ini diakhiri.',
    'At least 8 characters. Saving it ends every login session of this account.',
  ],
  p_reset_button: ['Simpan password', 'Save password'],
  p_reset_fix: ['Perbaiki isian di bawah lalu simpan lagi.', 'Fix the fields below and save again.'],
  p_reset_done: [
    'Semua sesi login telah diakhiri. Login dengan password baru anda.',
    'Every session was ended. Log in with your new password.',
  ],
  p_email_changed_next: ['Mulai sekarang, login dengan alamat email baru anda.', 'From now on, log in with your new email address.'],
  p_email_change_again: [
    'Minta perubahan email lagi dari pengaturan akun anda.',
    'Ask for the email change again from your account settings.',
  ],
  p_error_title: ['Permintaan tidak dapat diproses', 'The request could not be completed'],
  p_try_again: ['Kembali ke halaman sebelumnya dan coba lagi.', 'Go back to the previous page and try again.'],
} as const satisfies Record<string, readonly [string, string]>;

export type MessageKey = keyof typeof MESSAGES;

/** Every key of the catalogue (its unit test renders each one). */
export const MESSAGE_KEYS = Object.keys(MESSAGES) as MessageKey[];

/** The only placeholders a message may use: the ones the code fills (validation.ts toReason). */
export const MESSAGE_PLACEHOLDERS = ['field', 'name', 'max', 'values'] as const;

/** A message to be rendered later, in the language of the request that receives it. */
export interface MessageRef {
  key: MessageKey;
  params?: Record<string, string | number>;
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(MESSAGES, key);
}

export function translate(ref: MessageRef | MessageKey, lang: Lang): string {
  const { key, params } = typeof ref === 'string' ? { key: ref, params: undefined } : ref;
  // One pass with a function: a value is shown as it is, even one holding `$&` or `{max}` (a
  // client's unknown field name), which a replacement string or a second pass would rewrite.
  const text = MESSAGES[key][lang === 'en' ? 1 : 0].replace(/\{(\w+)\}/g, (placeholder: string, name: string) => {
    if (!params || !Object.prototype.hasOwnProperty.call(params, name)) return placeholder;
    const value = params[name];
    return name === 'field' && isMessageKey(`f_${value}`) ? translate(`f_${value}` as MessageKey, lang) : String(value);
  });
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `Accept-Language: en` (or en-US, or en first in a list) selects English; anything else Indonesian. */
export function languageOf(acceptLanguage: string | string[] | undefined): Lang {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : (acceptLanguage ?? '');
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...rest] = part.trim().toLowerCase().split(';');
      const q = rest.find((p) => p.trim().startsWith('q='));
      return { tag: tag.split('-')[0], q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((entry) => entry.tag === 'en' || entry.tag === 'id')
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.tag === 'en' && ranked[0].q > 0 ? 'en' : 'id';
}
