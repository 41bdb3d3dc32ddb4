// credit-etl card validate | evaluate | report: the scoring card, basic credit evaluations (measure
// item 6) and credit reports (item 5) from the command line. Reads are recorded in the access log
// as the service's are, with the command-line actor.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { commandLineActor } from '../../api/operations.ts';
import { issueReport, type ReportFormat } from '../../api/credit-report.ts';
import { CardError, DEFAULT_CARD, loadCardFile, shippedCard, type Card } from '../../evaluation/card.ts';
import { adverseReasons, evaluationJson, type Evaluation } from '../../evaluation/engine.ts';
import { renderReportHtml } from '../../evaluation/render-html.ts';
import { renderReportPdf } from '../../evaluation/render-pdf.ts';
import { evaluateForReader } from '../../evaluation/read.ts';
import { allEnterprises, evaluatePages, pagesOf, type EnterpriseEvaluations } from '../../jobs/evaluate.ts';
import { findInstitution } from '../../store/institutions.ts';
import { appendAccess } from '../../store/access-log.ts';
import { UsageError, withDb } from '../context.ts';

const isoDate = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw new InvalidArgumentError('a date YYYY-MM-DD');
  return v;
};

/** A shipped card by id, or a card file (a path ending in .json). */
function cardOption(v: string): Card {
  try {
    return v.endsWith('.json') ? loadCardFile(v) : shippedCard(v);
  } catch (e) {
    if (e instanceof CardError) throw new UsageError(problemsText(e));
    throw e;
  }
}

const problemsText = (e: CardError) => `评分卡无效 invalid card ${e.file}:\n${e.problems.map((p) => `  ${p.path}: ${p.messageZh} / ${p.messageEn}`).join('\n')}`;

const summary = (e: Evaluation | null) => (e ? (e.score === null ? e.grade : `${e.grade} ${e.score}`) : '—');

function line(r: EnterpriseEvaluations): string {
  const top = adverseReasons(r.enriched ?? r.public, 1)[0];
  return `${r.uscc}  公共 ${summary(r.public).padEnd(6)}  增强 ${summary(r.enriched).padEnd(6)}  ${top ? `${top.code} ${top.textZh}` : ''}`;
}

export function register(program: Command): void {
  const card = program.command('card').description('the scoring card of the basic credit evaluation');
  card.command('validate').description('check a card file against the card schema and the category schemas')
    .argument('<file>')
    .action((file: string) => {
      try {
        const c = loadCardFile(file);
        const indicators = c.dimensions.reduce((n, d) => n + d.indicators.length, 0);
        console.log(`评分卡有效 card valid: ${c.id} ${c.version}, ${c.dimensions.length} dimensions, ${indicators} indicators, ${c.knockouts.length} knock-outs`);
      } catch (e) {
        if (!(e instanceof CardError)) throw e;
        console.log(problemsText(e));
        process.exitCode = 1;
      }
    });

  program.command('evaluate').description('basic credit evaluation (public tier; enriched where the platform holds the authorisations)')
    .option('--card <id|file>', 'card id or card file', DEFAULT_CARD)
    .option('--uscc <code...>', 'enterprises to evaluate')
    .option('--all', 'every enterprise with records by the cut-off')
    .option('--as-of <date>', 'evaluation date YYYY-MM-DD (default today, UTC)', isoDate)
    .option('--store', 'store the evaluations (as the nightly run does)')
    .option('--json', 'one canonical JSON object per enterprise and line')
    .action(async (opts) => {
      if (Boolean(opts.all) === Boolean(opts.uscc)) throw new UsageError('请指定 --uscc 或 --all 之一 / give either --uscc or --all');
      const c = cardOption(opts.card);
      const now = new Date();
      const asOf: string = opts.asOf ?? now.toISOString().slice(0, 10);
      if (asOf > now.toISOString().slice(0, 10)) throw new UsageError(`评价日期 ${asOf} 晚于今天 / the as-of date is in the future`);
      const usccs: string[] | undefined = opts.uscc?.map((u: string) => u.trim().toUpperCase());
      await withDb(async (db) => {
        let n = 0;
        const print = (r: EnterpriseEvaluations) => {
          n++;
          console.log(opts.json ? `{"uscc":${JSON.stringify(r.uscc)},"public":${evaluationJson(r.public)},"enriched":${r.enriched ? evaluationJson(r.enriched) : 'null'}}` : line(r));
        };
        if (usccs && !opts.store) {
          // One by one, as the service answers: a past date rebuilt to the cut-off of the evaluation stored for it.
          for (const uscc of usccs) print({ uscc, ...(await evaluateForReader(db, { card: c, uscc, asOf, now, institutionId: null })) });
        } else {
          const pages = usccs ? pagesOf(usccs) : allEnterprises(db, asOf, now);
          for await (const r of evaluatePages(db, pages, { card: c, asOf, now, store: opts.store ? 'cli' : undefined })) print(r);
        }
        await appendAccess(db, {
          at: now.toISOString(), requestId: null, actor: commandLineActor(), action: 'evaluation.run', enterprises: usccs ?? [],
          detail: { card: { id: c.id, version: c.version }, asOf, all: Boolean(opts.all), evaluated: n, stored: Boolean(opts.store) },
        });
        if (!opts.json) console.error(`${n} enterprises evaluated with ${c.id} ${c.version} as of ${asOf}`);
      });
    });

  program.command('report').description('issue a credit report (信用报告) of one enterprise: PDF, HTML or JSON by the file extension')
    .argument('<uscc>')
    .requiredOption('--out <file>', 'e.g. 报告.pdf, report.html, report.json')
    .option('--institution <name>', 'issue it as this institution would read it (its authorisations and masking); default: the platform')
    .option('--card <id>', 'card id', DEFAULT_CARD)
    .action(async (uscc: string, opts) => {
      const ext = /\.(pdf|html?|json)$/i.exec(opts.out)?.[1].toLowerCase();
      if (!ext) throw new UsageError('--out 须以 .pdf、.html 或 .json 结尾 / --out must end in .pdf, .html or .json');
      const format: ReportFormat = ext === 'pdf' ? 'pdf' : ext === 'json' ? 'json' : 'html';
      const code = uscc.trim().toUpperCase();
      await withDb(async (db) => {
        const institution = opts.institution === undefined ? null : await findInstitution(db, opts.institution);
        if (institution === undefined) throw new UsageError(`未登记的金融机构 unknown institution "${opts.institution}" (credit-etl institutions list)`);
        const { content, sha256 } = await issueReport(db, {
          uscc: code, actor: commandLineActor(), institution, requestId: null, now: new Date(), card: cardOption(opts.card), format,
        });
        const verifyUrl = `/reports/${content.reportNo}/verify?sha256=${sha256}`;
        if (format === 'pdf') writeFileSync(opts.out, await renderReportPdf(content, sha256, verifyUrl));
        else if (format === 'html') writeFileSync(opts.out, renderReportHtml(content, sha256, verifyUrl));
        else writeFileSync(opts.out, JSON.stringify({ ...content, verification: { reportNo: content.reportNo, sha256, verifyUrl } }, null, 2));
        console.log(`报告 ${content.reportNo} 已写入 ${opts.out}（SHA-256 ${sha256}）/ report written`);
        if (content.subject.name === null) console.error(`注意：未找到企业 ${code} 的任何记录 / no records of ${code}`);
      });
    });
}
