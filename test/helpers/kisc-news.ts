// KISC's GET /news as the tests write it: an announcement of planned works in Almaty wall time, with
// seconds (which the parser also reads), so that a wait takes seconds. For the sandbox's
// `POST /__sandbox/config {news}`.
const almaty = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Almaty',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** '21:00:05 30.10.2025': Almaty wall time, as KISC writes it. */
export function almatyText(d: Date): string {
  const p = Object.fromEntries(almaty.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}:${p.second} ${p.day}.${p.month}.${p.year}`;
}

/** The news (one item) announcing planned works from `from` to `to`. */
export function plannedWorksNews(from: Date, to: Date) {
  return [
    {
      date: to.toISOString().slice(0, 10),
      subject: 'плановые работы (тест)',
      text: `Здравствуйте!\nВ период с ${almatyText(from)} по ${almatyText(to)} будут проводиться плановые работы на стороне АО «НИТ».\n`,
    },
  ];
}
