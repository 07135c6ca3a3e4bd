// A copy of /work/shared/bench/plain_nodemailer.mjs with one change: the transport signs with DKIM
// (nodemailer's `dkim` option), the key read from KEYFILE. Run from the project folder:
//   node --input-type=module -e "$(cat plain_nodemailer_dkim.mjs)" PORT N PREVIEW_DIR KEYFILE
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
const [port, n, dir, keyFile] = process.argv.slice(1).filter((a) => a !== '--');
const html = readFileSync(dir + '/digest.html', 'utf8'), text = readFileSync(dir + '/digest.txt', 'utf8');
const t = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 100,
  dkim: { domainName: 'news.example.com', keySelector: 'bench', privateKey: readFileSync(keyFile, 'utf8') } });
let next = 0;
async function lane() {
  while (next < Number(n)) {
    const i = next++;
    const u = `https://news.example.com/unsubscribe?token=${i.toString(36).padStart(40, 'x')}`;
    await t.sendMail({
      from: { name: '山西日报', address: 'digest@news.example.com' }, to: { name: `读者${i}`, address: `reader${i}@example.com` },
      subject: '山西日报·每日要闻 测试', html: html.replaceAll('reader@example.com', `reader${i}@example.com`), text,
      headers: { 'List-Unsubscribe': `<${u}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'List-Id': '<daily.news.example.com>' },
      messageId: `<${i}.daily@news.example.com>`,
    });
  }
}
await Promise.all(Array.from({ length: 5 }, lane));
t.close();
