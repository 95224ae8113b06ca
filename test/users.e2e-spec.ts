import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  ADMIN_PASSWORD,
  bearer,
  createAdmin,
  expectNoSecrets,
  expireLinks,
  keepOnlyAdmins,
  login,
  NEW_PASSWORD,
  PASSWORD,
  refresh,
  registerActiveUser,
  startTestApp,
  tryLogin,
  UNKNOWN_LINK_TOKEN,
  uniqueEmail,
  USER_FIELDS,
  type TestAccount as Account,
  type TestApp,
} from './support';

describe('user management: get, list, update, delete, roles', () => {
  let t: TestApp;
  let db: DataSource;

  /** The path of the newest email-change link sent to `to`. */
  async function emailChangeLink(to: string): Promise<string> {
    const mail = await t.smtp.waitFor(to, { kind: 'email_change' });
    expect(mail.subject).toBe('Konfirmasi email baru akun Alat Berat');
    return new URL(mail.link!).pathname;
  }

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /api/users/:id', () => {
    let admin: Account;
    let alice: Account;
    let bob: Account;
    beforeAll(async () => {
      [admin, alice, bob] = await Promise.all([createAdmin(t), registerActiveUser(t), registerActiveUser(t)]);
    });

    it('gives a customer their own user, with exactly the contract’s fields and no secrets', async () => {
      const res = await t.http.get(`/api/users/${alice.id}`).set(bearer(alice)).expect(200);
      expect(res.body).toMatchObject({ error: null, message: 'Data user berhasil diambil' });
      expect(res.body.data).toHaveLength(1);
      expect(Object.keys(res.body.data[0]).sort()).toEqual(USER_FIELDS);
      expect(res.body.data[0]).toMatchObject({ id: alice.id, email: alice.email, role: 'customer' });
      expectNoSecrets(res.body);
    });

    it('refuses a customer another user’s id with 403, and an unknown id too (no probing)', async () => {
      const other = await t.http.get(`/api/users/${bob.id}`).set(bearer(alice)).expect(403);
      expect(other.body).toEqual({ error: ['Akses ditolak'], message: 'Proses gagal', data: null });
      const unknown = await t.http.get(`/api/users/${randomUUID()}`).set(bearer(alice)).expect(403);
      expect(unknown.body).toEqual(other.body);
      const admins = await t.http.get(`/api/users/${admin.id}`).set(bearer(alice)).expect(403);
      expect(admins.body.data).toBeNull();
    });

    it('gives an admin anyone, and 404 "User tidak ditemukan" for an unknown id', async () => {
      const res = await t.http.get(`/api/users/${bob.id}`).set(bearer(admin)).expect(200);
      expect(res.body.data[0]).toMatchObject({ id: bob.id, email: bob.email });
      expectNoSecrets(res.body);
      const missing = await t.http.get(`/api/users/${randomUUID()}`).set(bearer(admin)).expect(404);
      expect(missing.body).toEqual({ error: ['User tidak ditemukan'], message: 'Proses gagal', data: null });
      const en = await t.http.get(`/api/users/${randomUUID()}`).set(bearer(admin)).set('Accept-Language', 'en').expect(404);
      expect(en.body.error).toEqual(['User not found']);
    });

    it.each(['abc', '123', "1' OR '1'='1", `${randomUUID()}0`, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'])(
      'answers a malformed id (%s) with 400 on GET, PUT and DELETE, for admins and customers alike',
      async (id) => {
        const path = `/api/users/${encodeURIComponent(id)}`;
        const expected = { error: ['ID user tidak valid'], message: 'Proses gagal', data: null };
        expect((await t.http.get(path).set(bearer(admin)).expect(400)).body).toEqual(expected);
        expect((await t.http.get(path).set(bearer(alice)).expect(400)).body).toEqual(expected);
        expect((await t.http.put(path).set(bearer(admin)).send({ name: 'X' }).expect(400)).body).toEqual(expected);
        expect((await t.http.delete(path).set(bearer(alice)).expect(400)).body).toEqual(expected);
      },
    );

    it('needs an access token, and /users/me is still its own route (not an id)', async () => {
      const none = await t.http.get(`/api/users/${alice.id}`).expect(401);
      expect(none.body.error).toEqual(['Token tidak ditemukan']);
      const me = await t.http.get('/api/users/me').set(bearer(alice)).expect(200);
      expect(me.body.data[0].id).toBe(alice.id);
      const v1 = await t.http.get(`/api/v1/users/${alice.id}`).set(bearer(alice)).expect(200);
      expect(v1.body.data[0].id).toBe(alice.id);
    });
  });

  describe('GET /api/users (admin list)', () => {
    let admin: Account;
    let customer: Account;
    const tag = `zq${randomBytes(4).toString('hex')}`;
    const TAGGED = 105;

    beforeAll(async () => {
      [admin, customer] = await Promise.all([createAdmin(t), registerActiveUser(t)]);
      // Pairs share a created_at, so the id tie-break is exercised. Old dates keep them off page 1 of the full list.
      await db.query(
        `INSERT INTO users (name, email, password_hash, is_active, created_at)
         SELECT 'Srch' || $1 || ' ' || g, 'srch' || $1 || '.' || g || '@list.example.com', 'not-a-hash', true,
                timestamptz '2020-01-01 00:00:00+00' + (g / 2) * interval '1 minute'
         FROM generate_series(1, $2::int) AS g`,
        [tag, TAGGED],
      );
    });

    it('refuses a customer with 403 and a missing token with 401', async () => {
      const res = await t.http.get('/api/users').set(bearer(customer)).expect(403);
      expect(res.body).toEqual({ error: ['Akses ditolak'], message: 'Proses gagal', data: null });
      await t.http.get('/api/users').expect(401);
    });

    it('lists newest first with meta { page, limit, total } and defaults page 1, limit 20', async () => {
      const res = await t.http.get('/api/users').set(bearer(admin)).expect(200);
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM users`);
      expect(res.body).toMatchObject({ error: null, message: 'Daftar user berhasil diambil', meta: { page: 1, limit: 20, total: count } });
      expect(Object.keys(res.body).sort()).toEqual(['data', 'error', 'message', 'meta']);
      expect(res.body.data).toHaveLength(Math.min(20, count));
      const [newest] = await db.query(`SELECT id FROM users ORDER BY created_at DESC, id DESC LIMIT 1`);
      expect(res.body.data[0].id).toBe(newest.id);
      for (const user of res.body.data) expect(Object.keys(user).sort()).toEqual(USER_FIELDS);
      expectNoSecrets(res.body);
    });

    it('orders by created_at descending, ties by id descending, across pages without gaps or repeats', async () => {
      const pages = [];
      for (let page = 1; page <= 6; page++) {
        const res = await t.http.get(`/api/users?search=${tag}&page=${page}&limit=20`).set(bearer(admin)).expect(200);
        expect(res.body.meta).toEqual({ page, limit: 20, total: TAGGED });
        pages.push(...res.body.data);
      }
      expect(pages).toHaveLength(TAGGED);
      expect(new Set(pages.map((u: { id: string }) => u.id)).size).toBe(TAGGED);
      let ties = 0;
      for (let i = 1; i < pages.length; i++) {
        const [a, b] = [pages[i - 1], pages[i]];
        if (a.created_at === b.created_at) {
          ties += 1;
          expect(a.id > b.id).toBe(true);
        } else {
          expect(a.created_at > b.created_at).toBe(true);
        }
      }
      expect(ties).toBeGreaterThan(40);
      const past = await t.http.get(`/api/users?search=${tag}&page=7&limit=20`).set(bearer(admin)).expect(200);
      expect(past.body).toMatchObject({ data: [], meta: { page: 7, limit: 20, total: TAGGED } });
    });

    it('clamps a limit above 100 to 100 instead of refusing it', async () => {
      const res = await t.http.get(`/api/users?search=${tag}&limit=500`).set(bearer(admin)).expect(200);
      expect(res.body.meta).toEqual({ page: 1, limit: 100, total: TAGGED });
      expect(res.body.data).toHaveLength(100);
      const rest = await t.http.get(`/api/users?search=${tag}&limit=100000000000000000000&page=2`).set(bearer(admin)).expect(200);
      expect(rest.body.meta).toEqual({ page: 2, limit: 100, total: TAGGED });
      expect(rest.body.data).toHaveLength(TAGGED - 100);
    });

    it('searches name and email case-insensitively, treating % and _ literally', async () => {
      const byName = await t.http
        .get(`/api/users?search=${encodeURIComponent(` SRCH${tag.toUpperCase()} 10 `)}`)
        .set(bearer(admin))
        .expect(200);
      expect(byName.body.data.map((u: { name: string }) => u.name).sort()).toEqual(
        ['10', '100', '101', '102', '103', '104', '105'].map((n) => `Srch${tag} ${n}`),
      );
      expect(byName.body.meta.total).toBe(7);

      const byEmail = await t.http
        .get(`/api/users?search=${encodeURIComponent(`${tag}.7@LIST`)}`)
        .set(bearer(admin))
        .expect(200);
      expect(byEmail.body.data.map((u: { email: string }) => u.email)).toEqual([`srch${tag}.7@list.example.com`]);

      const percent = await t.http
        .get(`/api/users?search=${encodeURIComponent(`${tag}%`)}`)
        .set(bearer(admin))
        .expect(200);
      expect(percent.body.meta.total).toBe(0);
      const underscore = await t.http
        .get(`/api/users?search=${encodeURIComponent(`srch${tag}_1`)}`)
        .set(bearer(admin))
        .expect(200);
      expect(underscore.body.meta.total).toBe(0);

      // A fragment never spans the end of the name and the start of the email; control characters are harmless.
      const across = await t.http
        .get(`/api/users?search=${encodeURIComponent(` 10\nsrch${tag}.10`)}`)
        .set(bearer(admin))
        .expect(200);
      expect(across.body.meta.total).toBe(0);
      const nul = await t.http.get(`/api/users?search=%00${tag}%00`).set(bearer(admin)).expect(200);
      expect(nul.body.meta.total).toBe(TAGGED);

      const blank = await t.http.get('/api/users?search=%20%20').set(bearer(admin)).expect(200);
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM users`);
      expect(blank.body.meta.total).toBe(count);
    });

    it.each([
      ['page=-1', ['Halaman harus berupa bilangan bulat positif']],
      ['page=0', ['Halaman harus berupa bilangan bulat positif']],
      ['page=abc', ['Halaman harus berupa bilangan bulat positif']],
      ['page=1.5', ['Halaman harus berupa bilangan bulat positif']],
      ['page=1&page=2', ['Halaman harus berupa bilangan bulat positif']],
      ['page=99999999999', ['Halaman harus berupa bilangan bulat positif']],
      ['limit=0', ['Limit harus berupa bilangan bulat positif']],
      ['limit=-5', ['Limit harus berupa bilangan bulat positif']],
      ['limit=ten', ['Limit harus berupa bilangan bulat positif']],
      ['page=x&limit=y', ['Halaman harus berupa bilangan bulat positif', 'Limit harus berupa bilangan bulat positif']],
      [`search=${'a'.repeat(101)}`, ['Pencarian maksimal 100 karakter']],
      // An unknown parameter (sort=name, utm_source=…) is ignored, not refused: test/hostile.e2e-spec.ts.
    ])('refuses %s with 400 and a message per field', async (query, errors) => {
      const res = await t.http.get(`/api/users?${query}`).set(bearer(admin)).expect(400);
      expect(res.body).toEqual({ error: errors, message: 'Proses gagal', data: null });
    });

    it('speaks English when asked', async () => {
      const res = await t.http.get('/api/users?page=-1').set(bearer(admin)).set('Accept-Language', 'en').expect(400);
      expect(res.body.error).toEqual(['Page must be a positive whole number']);
    });
  });

  describe('PUT /api/users/:id', () => {
    let admin: Account;
    beforeAll(async () => {
      admin = await createAdmin(t, { password: ADMIN_PASSWORD });
    });

    it('changes name, no_tlp and gender at once for the user themself; null clears no_tlp and gender', async () => {
      const user = await registerActiveUser(t);
      const res = await t.http
        .put(`/api/users/${user.id}`)
        .set(bearer(user))
        .send({ name: '  Wanto Baru ', no_tlp: '0812-1111-2222', gender: 'Perempuan' })
        .expect(200);
      expect(res.body).toMatchObject({ error: null, message: 'Update user berhasil' });
      expect(res.body.data[0]).toMatchObject({
        id: user.id,
        name: 'Wanto Baru',
        no_tlp: '081211112222',
        gender: 'Perempuan',
        email: user.email,
      });
      expectNoSecrets(res.body);

      const cleared = await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ no_tlp: null, gender: null }).expect(200);
      expect(cleared.body.data[0]).toMatchObject({ name: 'Wanto Baru', no_tlp: null, gender: null });
      const fresh = await t.http.get('/api/users/me').set(bearer(user)).expect(200);
      expect(fresh.body.data[0]).toMatchObject({ name: 'Wanto Baru', no_tlp: null, gender: null });
    });

    it.each([
      [{ name: null }, ['Nama harus diisi']],
      [{ name: '   ' }, ['Nama harus diisi']],
      [{ name: 'Wan\u0000to' }, ['Nama tidak valid']],
      [{ email: null }, ['Email harus diisi']],
      [{ email: 'not-an-email' }, ['Format Email tidak valid']],
      [{ password: 'short', confirmation: 'short' }, ['Password minimal 8 karakter']],
      [{ password: NEW_PASSWORD }, ['Konfirmasi password harus diisi']],
      [{ password: NEW_PASSWORD, confirmation: 'something-else' }, ['Konfirmasi password tidak sama dengan password']],
      [{ gender: 'L' }, ['Gender harus salah satu dari: Laki-laki, Perempuan']],
      [{ role: 'superuser' }, ['Role harus salah satu dari: customer, admin']],
      [{ role: null }, ['Role harus salah satu dari: customer, admin']],
      [{ is_active: true }, ['Field is_active tidak dikenal']],
    ])('refuses %j with 400 per field', async (body, errors) => {
      const res = await t.http.put(`/api/users/${admin.id}`).set(bearer(admin)).send(body).expect(400);
      expect(res.body).toEqual({ error: errors, message: 'Proses gagal', data: null });
    });

    it('refuses a customer another user (403, also for an unknown id); an admin gets 404 for an unknown id', async () => {
      const [alice, bob] = await Promise.all([registerActiveUser(t), registerActiveUser(t)]);
      const other = await t.http.put(`/api/users/${bob.id}`).set(bearer(alice)).send({ name: 'Hacked' }).expect(403);
      expect(other.body.error).toEqual(['Akses ditolak']);
      await t.http.put(`/api/users/${randomUUID()}`).set(bearer(alice)).send({ name: 'Hacked' }).expect(403);
      const missing = await t.http.put(`/api/users/${randomUUID()}`).set(bearer(admin)).send({ name: 'X' }).expect(404);
      expect(missing.body.error).toEqual(['User tidak ditemukan']);
      const [row] = await db.query(`SELECT name FROM users WHERE id = $1`, [bob.id]);
      expect(row.name).toBe('Wanto');

      const byAdmin = await t.http.put(`/api/users/${bob.id}`).set(bearer(admin)).send({ name: 'Bob' }).expect(200);
      expect(byAdmin.body.data[0]).toMatchObject({ id: bob.id, name: 'Bob' });
    });

    it('refuses a role from a customer with 403, even their own role', async () => {
      const user = await registerActiveUser(t);
      for (const role of ['admin', 'customer']) {
        const res = await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ role, name: 'Still Me' }).expect(403);
        expect(res.body).toEqual({ error: ['Hanya admin yang dapat mengubah role'], message: 'Proses gagal', data: null });
      }
      const [row] = await db.query(`SELECT role, name FROM users WHERE id = $1`, [user.id]);
      expect(row).toEqual({ role: 'customer', name: 'Wanto' });
      const en = await t.http
        .put(`/api/users/${user.id}`)
        .set(bearer(user))
        .set('Accept-Language', 'en')
        .send({ role: 'admin' })
        .expect(403);
      expect(en.body.error).toEqual(['Only an admin can change a role']);
    });

    describe('password', () => {
      it('needs current_password: missing or wrong is a 400 and nothing changes', async () => {
        const user = await registerActiveUser(t);
        const missing = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(user))
          .send({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
          .expect(400);
        expect(missing.body).toEqual({ error: ['Password saat ini harus diisi'], message: 'Proses gagal', data: null });
        const wrong = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(user))
          .send({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD, current_password: 'not-my-password' })
          .expect(400);
        expect(wrong.body.error).toEqual(['Password saat ini salah']);
        await tryLogin(t, user.email, PASSWORD).expect(200);
        await tryLogin(t, user.email, NEW_PASSWORD).expect(401);
      });

      it('changes it, ends every other session, keeps the caller’s own, and mails a notice', async () => {
        const user = await registerActiveUser(t);
        const other = await login(t, user.email, user.password);
        const res = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(user))
          .send({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD, current_password: PASSWORD })
          .expect(200);
        expect(res.body.message).toBe('Update user berhasil');
        expectNoSecrets(res.body);

        const ended = await t.http.get('/api/users/me').set(bearer(other)).expect(401);
        expect(ended.body.error).toEqual(['Token tidak valid']);
        await refresh(t, other.refreshToken).expect(401);
        await t.http.get('/api/users/me').set(bearer(user)).expect(200);
        await refresh(t, user.refreshToken).expect(200);

        const notice = await t.smtp.waitFor(user.email, { kind: 'password_changed' });
        expect(notice.subject).toBe('Password akun Alat Berat anda telah diubah');
        expect(notice.text).toContain('sesi login lain telah diakhiri');
        await tryLogin(t, user.email, PASSWORD).expect(401);
        await tryLogin(t, user.email, NEW_PASSWORD).expect(200);
      });

      it('lets an admin reset someone else’s password with the admin’s own current_password; all the user’s sessions end', async () => {
        const user = await registerActiveUser(t);
        const body = { password: NEW_PASSWORD, confirmation: NEW_PASSWORD };
        await t.http.put(`/api/users/${user.id}`).set(bearer(admin)).send(body).expect(400);
        // The target's password is not what is asked for: the admin re-authenticates with their own.
        const wrong = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(admin))
          .send({ ...body, current_password: PASSWORD })
          .expect(400);
        expect(wrong.body.error).toEqual(['Password saat ini salah']);

        await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(admin))
          .send({ ...body, current_password: ADMIN_PASSWORD })
          .expect(200);
        await t.http.get('/api/users/me').set(bearer(user)).expect(401);
        await t.http.get('/api/users/me').set(bearer(admin)).expect(200);
        const notice = await t.smtp.waitFor(user.email, { kind: 'password_changed' });
        expect(notice.subject).toBe('Password akun Alat Berat anda telah diubah');
        await tryLogin(t, user.email, NEW_PASSWORD).expect(200);
      });
    });

    describe('email', () => {
      it('keeps the old address until the link sent to the new one is clicked; the old address gets a notice', async () => {
        const user = await registerActiveUser(t);
        const newEmail = uniqueEmail('moved');
        const missing = await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ email: newEmail }).expect(400);
        expect(missing.body.error).toEqual(['Password saat ini harus diisi']);

        const res = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(user))
          .send({ email: `  ${newEmail.toUpperCase()} `, current_password: PASSWORD })
          .expect(200);
        expect(res.body.message).toBe('Update user berhasil');
        expect(res.body.data[0].email).toBe(user.email);

        const notice = await t.smtp.waitFor(user.email, { kind: 'email_change_notice' });
        expect(notice.subject).toBe('Permintaan perubahan email akun Alat Berat');
        expect(notice.text).toContain(newEmail);
        expect(notice.link).toBeUndefined();
        const confirm = await t.smtp.waitFor(newEmail, { kind: 'email_change' });
        expect(confirm.subject).toBe('Konfirmasi email baru akun Alat Berat');
        expect(confirm.link).toMatch(/^http:\/\/localhost:3000\/api\/users\/email\/confirm\/[\w-]{43}$/);

        // Nothing has changed yet.
        await tryLogin(t, newEmail, PASSWORD).expect(401);
        expect((await t.http.get('/api/users/me').set(bearer(user)).expect(200)).body.data[0].email).toBe(user.email);

        const path = new URL(confirm.link!).pathname;
        const done = await t.http.get(path).expect(200);
        expect(done.body).toEqual({ error: null, message: 'Email berhasil diubah', data: null });
        expect((await t.http.get('/api/users/me').set(bearer(user)).expect(200)).body.data[0].email).toBe(newEmail);
        await tryLogin(t, newEmail, PASSWORD).expect(200);
        await tryLogin(t, user.email, PASSWORD).expect(401);

        // A second click (mail scanners open links first) still reports success; the address is free again.
        await t.http.get(path).expect(200);
        await t.http.post('/api/users').send({ name: 'Reuse', email: user.email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
      });

      it('answers an address already taken exactly like a free one, and sends that address no link', async () => {
        const [user, owner] = await Promise.all([registerActiveUser(t), registerActiveUser(t)]);
        const free = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(user))
          .send({ email: uniqueEmail('free'), current_password: PASSWORD })
          .expect(200);
        await t.mailSettled();
        const ownerMails = t.smtp.mailsTo(owner.email).length;
        const noticesBefore = t.smtp.mailsTo(user.email).length;

        const taken = await t.http
          .put(`/api/users/${user.id}`)
          .set(bearer(user))
          .send({ email: owner.email, current_password: PASSWORD })
          .expect(200);
        expect(taken.body.message).toBe(free.body.message);
        expect({ ...taken.body.data[0], updated_at: null }).toEqual({ ...free.body.data[0], updated_at: null });
        await t.mailSettled();
        expect(t.smtp.mailsTo(owner.email)).toHaveLength(ownerMails);
        expect(t.smtp.mailsTo(user.email)).toHaveLength(noticesBefore + 1);
      });

      it('refuses the link with 409 when the address was registered in the meantime; the old address stays', async () => {
        const user = await registerActiveUser(t);
        const newEmail = uniqueEmail('contested');
        await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ email: newEmail, current_password: PASSWORD }).expect(200);
        const path = await emailChangeLink(newEmail);
        await t.http.post('/api/users').send({ name: 'Quick', email: newEmail, password: PASSWORD, confirmation: PASSWORD }).expect(201);

        const res = await t.http.get(path).expect(409);
        expect(res.body).toEqual({ error: ['Email sudah terdaftar'], message: 'Proses gagal', data: null });
        const html = await t.http.get(path).set('Accept', 'text/html').expect(409);
        expect(html.headers['content-type']).toMatch(/text\/html/);
        expect(html.text).toContain('Email sudah terdaftar');
        expect((await t.http.get('/api/users/me').set(bearer(user)).expect(200)).body.data[0].email).toBe(user.email);
      });

      it('kills an older pending link when a newer change is asked for; refuses unknown, expired and other-purpose tokens', async () => {
        const user = await registerActiveUser(t);
        const [first, second] = [uniqueEmail('first'), uniqueEmail('second')];
        await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ email: first, current_password: PASSWORD }).expect(200);
        const firstPath = await emailChangeLink(first);
        await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ email: second, current_password: PASSWORD }).expect(200);
        const secondPath = await emailChangeLink(second);

        const stale = await t.http.get(firstPath).expect(400);
        expect(stale.body).toEqual({ error: ['Token perubahan email tidak valid'], message: 'Proses gagal', data: null });

        await expireLinks(t, user.id, 'email_change');
        const expired = await t.http.get(secondPath).expect(400);
        expect(expired.body.error).toEqual(['Link perubahan email sudah expired']);

        await t.http.get(`/api/users/email/confirm/${UNKNOWN_LINK_TOKEN}`).expect(400);
        const fresh = uniqueEmail('fresh');
        await t.http.post('/api/users').send({ name: 'Act', email: fresh, password: PASSWORD, confirmation: PASSWORD }).expect(201);
        const activation = new URL((await t.smtp.waitFor(fresh, { kind: 'activation' })).link!).pathname.split('/').pop();
        await t.http.get(`/api/users/email/confirm/${activation}`).expect(400);
        expect((await t.http.get('/api/users/me').set(bearer(user)).expect(200)).body.data[0].email).toBe(user.email);
      });

      it('treats the current address (in any case) as no change: no link, no notice', async () => {
        const user = await registerActiveUser(t);
        await t.mailSettled();
        const before = t.smtp.mailsTo(user.email).length;
        const res = await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ email: user.email.toUpperCase() }).expect(200);
        expect(res.body.message).toBe('Update user berhasil');
        await t.mailSettled();
        expect(t.smtp.mailsTo(user.email)).toHaveLength(before);
      });
    });

    describe('roles', () => {
      it('lets an admin promote a customer; the role change ends that user’s sessions so no token keeps the old role', async () => {
        const user = await registerActiveUser(t);
        const res = await t.http.put(`/api/users/${user.id}`).set(bearer(admin)).send({ role: 'admin' }).expect(200);
        expect(res.body.data[0]).toMatchObject({ id: user.id, role: 'admin' });
        await t.http.get('/api/users').set(bearer(user)).expect(401);
        const promoted = await login(t, user.email, user.password);
        await t.http.get('/api/users').set(bearer(promoted)).expect(200);

        const back = await t.http.put(`/api/users/${user.id}`).set(bearer(admin)).send({ role: 'customer' }).expect(200);
        expect(back.body.data[0].role).toBe('customer');
        await t.http.get('/api/users').set(bearer(promoted)).expect(401);
        await t.http
          .get('/api/users')
          .set(bearer(await login(t, user.email, user.password)))
          .expect(403);
      });

      describe('with exactly one admin left', () => {
        let restoreAdmins: () => Promise<void> = async () => undefined;
        let last: Account;
        beforeAll(async () => {
          last = await createAdmin(t);
          // Every other admin of this run becomes a customer for these tests and is restored after.
          restoreAdmins = await keepOnlyAdmins(t, [last.id]);
        });
        afterAll(async () => {
          await restoreAdmins();
        });

        it('refuses to demote or delete the last admin with 409', async () => {
          const demote = await t.http.put(`/api/users/${last.id}`).set(bearer(last)).send({ role: 'customer' }).expect(409);
          expect(demote.body).toEqual({ error: ['Admin terakhir tidak dapat diturunkan'], message: 'Proses gagal', data: null });
          const remove = await t.http.delete(`/api/users/${last.id}`).set(bearer(last)).expect(409);
          expect(remove.body.error).toEqual(['Admin terakhir tidak dapat dihapus']);
          const [row] = await db.query(`SELECT role FROM users WHERE id = $1`, [last.id]);
          expect(row.role).toBe('admin');
          await t.http.get('/api/users').set(bearer(last)).expect(200);
        });

        it('lets two admins demote each other at the same time without leaving none', async () => {
          for (let round = 0; round < 3; round++) {
            const partner = await registerActiveUser(t);
            await t.http.put(`/api/users/${partner.id}`).set(bearer(last)).send({ role: 'admin' }).expect(200);
            const partnerAdmin = await login(t, partner.email, partner.password);
            const statuses = (
              await Promise.all([
                t.http.put(`/api/users/${partner.id}`).set(bearer(last)).send({ role: 'customer' }),
                t.http.put(`/api/users/${last.id}`).set(bearer(partnerAdmin)).send({ role: 'customer' }),
              ])
            ).map((res) => res.status);
            // One wins. The other is refused by the last-admin check, or, when the winner committed
            // before its request got past the guard, by its own ended session.
            expect(statuses.filter((status) => status === 200)).toHaveLength(1);
            expect([409, 401]).toContain(statuses.find((status) => status !== 200));
            const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM users WHERE role = 'admin'`);
            expect(count).toBe(1);
            // Whoever is still admin carries on as `last`.
            const [survivor] = await db.query(`SELECT id FROM users WHERE role = 'admin'`);
            if (survivor.id === partner.id) last = await login(t, partner.email, partner.password);
            else last = await login(t, last.email, last.password);
          }
        });
      });
    });
  });

  describe('DELETE /api/users/:id', () => {
    let admin: Account;
    beforeAll(async () => {
      admin = await createAdmin(t);
    });

    it('refuses a customer another user (403, also for an unknown id); an admin gets 404 for an unknown id', async () => {
      const [alice, bob] = await Promise.all([registerActiveUser(t), registerActiveUser(t)]);
      const res = await t.http.delete(`/api/users/${bob.id}`).set(bearer(alice)).expect(403);
      expect(res.body).toEqual({ error: ['Akses ditolak'], message: 'Proses gagal', data: null });
      await t.http.delete(`/api/users/${randomUUID()}`).set(bearer(alice)).expect(403);
      const missing = await t.http.delete(`/api/users/${randomUUID()}`).set(bearer(admin)).expect(404);
      expect(missing.body.error).toEqual(['User tidak ditemukan']);
      await t.http.get('/api/users/me').set(bearer(bob)).expect(200);
      await t.http.delete(`/api/users/${bob.id}`).expect(401);
    });

    it('deletes oneself: answers with the user, ends every session at once, and the email can register again', async () => {
      const user = await registerActiveUser(t);
      const second = await login(t, user.email, user.password);
      const res = await t.http.delete(`/api/users/${user.id}`).set(bearer(user)).expect(200);
      expect(res.body).toMatchObject({ error: null, message: 'Delete user berhasil' });
      expect(Object.keys(res.body.data[0]).sort()).toEqual(USER_FIELDS);
      expect(res.body.data[0]).toMatchObject({ id: user.id, email: user.email });
      expectNoSecrets(res.body);

      for (const session of [user, second]) {
        const refused = await t.http.get('/api/users/me').set(bearer(session)).expect(401);
        expect(refused.body.error).toEqual(['Token tidak valid']);
        await refresh(t, session.refreshToken).expect(401);
      }
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM sessions WHERE user_id = $1`, [user.id]);
      expect(count).toBe(0);
      await t.http.get(`/api/users/${user.id}`).set(bearer(admin)).expect(404);
      await tryLogin(t, user.email, PASSWORD).expect(401);

      const oldLinks = new Set(t.smtp.mailsTo(user.email).map((m) => m.link));
      const after = t.smtp.mark();
      const again = await t.http
        .post('/api/users')
        .send({ name: 'Again', email: user.email, password: PASSWORD, confirmation: PASSWORD })
        .expect(201);
      expect(again.body.data[0].id).not.toBe(user.id);
      const activation = await t.smtp.waitFor(user.email, { kind: 'activation', after });
      expect(activation.subject).toBe('Aktivasi akun Alat Berat anda');
      expect(oldLinks.has(activation.link)).toBe(false);
      await t.http.get(new URL(activation.link!).pathname).expect(200);
      await tryLogin(t, user.email, PASSWORD).expect(200);
    });

    it('lets an admin delete a customer, whose tokens stop working; the admin’s own session is untouched', async () => {
      const user = await registerActiveUser(t);
      const res = await t.http.delete(`/api/users/${user.id}`).set(bearer(admin)).expect(200);
      expect(res.body.data[0].id).toBe(user.id);
      await t.http.get('/api/users/me').set(bearer(user)).expect(401);
      await t.http.get('/api/users/me').set(bearer(admin)).expect(200);
      await t.http.delete(`/api/users/${user.id}`).set(bearer(admin)).expect(404);
    });

    it('lets an admin delete another admin while one remains', async () => {
      const other = await createAdmin(t);
      await t.http.delete(`/api/users/${other.id}`).set(bearer(admin)).expect(200);
      await t.http.get('/api/users').set(bearer(other)).expect(401);
      await t.http.get('/api/users').set(bearer(admin)).expect(200);
    });
  });
});
