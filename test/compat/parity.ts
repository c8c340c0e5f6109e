// The parity machinery: one argv run through real kubectl 1.35 and through svc against the same
// cluster (the local one, or the real control plane), the same objects set up before each, and the two results compared (exit code,
// stdout, stderr) after normalising only what two runs cannot share: UIDs, resource versions,
// timestamps and ages. Each compared case lands in a report, SAME or DIFF; a DIFF must name the
// sentence of docs/kubectl-differences.md that says why.

import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import {resolveResourceType} from '../../src/kube/resource-types.ts'
import type {KubeObject} from '../../src/kube/types.ts'
import {until} from '../helpers/poll.ts'
import {ROOT, runSvc} from '../helpers/run-svc.ts'
import type {KubectlResult, KubectlRig} from './helpers.ts'

export interface ParityCase {
  /** What the case checks, for the report. */
  name: string
  /** The words after `kubectl` / `svc`: the same for both. */
  argv: string[]
  /** Objects created (as the API sends them back: already-existing ones are fine) before each run. */
  objects?: unknown[]
  /** Objects deleted before each run (the case needs them absent). */
  absent?: string[]
  /** Extra environment for both (KUBECONFIG to another file, ...). */
  env?: Record<string, string>
  /** A kubectl argv run after each tool, whose output joins the comparison (what reached the cluster). */
  check?: string[]
  /**
   * Set when svc differs on purpose: a sentence (or a distinctive part of one) of
   * docs/kubectl-differences.md that documents the difference.
   */
  documented?: string
}

export interface Outcome {
  case: ParityCase
  kubectl: KubectlResult
  svc: KubectlResult
  same: boolean
}

/** UIDs, resource versions, RFC 3339 times, klog headers, ages and the program's name: what differs between two runs. */
export function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/("resourceVersion":\s*|resourceVersion:\s*)"?\d+"?/g, '$1<rv>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ /gm, '$1<klog> ')
    .replace(/(?<=\s|^)(\d+[smhd])+(?=\s|$)/gm, '<age>')
    // the program's name in usage hints: `See 'svc create clusterip -h'` is kubectl's `See 'kubectl ...'`
    .replace(/^See '(svc|kubectl) /gm, "See '<cli> ")
}

/** The file that documents the differences. */
export function differencesDoc(): {file: string; text: string} {
  return {file: 'docs/kubectl-differences.md', text: readFileSync(path.join(ROOT, 'docs', 'kubectl-differences.md'), 'utf8')}
}

/** Collapses line breaks and Markdown emphasis so a sentence can be found however it is wrapped. */
function flat(text: string): string {
  return text.replace(/[*`]/g, '').replace(/\s+/g, ' ')
}

export class Parity {
  readonly outcomes: Outcome[] = []
  private readonly api: KubeClient
  private readonly c: KubectlRig
  /** Which cluster the cases run against (`local` or `real`), for the report. */
  readonly cluster: string

  constructor(c: KubectlRig, cluster = 'local') {
    this.c = c
    this.cluster = cluster
    const kc = new KubeConfig()
    kc.loadFromFile(c.kubeconfig)
    this.api = new KubeClient(kc)
  }

  /** Runs the case through both tools and records the outcome. */
  async run(pc: ParityCase): Promise<Outcome> {
    const runKubectl = () => this.once(pc, () => this.c.kubectl(pc.argv, {env: pc.env}))
    const runSvcOnce = () => this.once(pc, () => runSvc(pc.argv, {env: {KUBECONFIG: this.c.kubeconfig, ...pc.env}}))
    // get and describe change nothing: both tools run at once
    const readOnly = ['get', 'describe'].includes(pc.argv[0]) && !pc.check && !pc.absent
    const [kubectl, svc] = readOnly ? await Promise.all([runKubectl(), runSvcOnce()]) : [await runKubectl(), await runSvcOnce()]
    const outcome = {case: pc, kubectl, same: equal(kubectl, svc), svc}
    this.outcomes.push(outcome)
    return outcome
  }

  /** Why the outcome is not acceptable, or undefined when it is. */
  problem(o: Outcome): string | undefined {
    const why = o.case.documented
    if (!o.same && !why) return `svc differs from kubectl and no documented difference says why:\n${explain(o)}`
    if (o.same && why) return `svc now matches kubectl: drop the documented difference "${why}" from the case (and the docs, if nothing else needs it)`
    if (why && !flat(differencesDoc().text).includes(flat(why))) return `the documented difference "${why}" is not in ${differencesDoc().file}`
    return undefined
  }

  /** The Markdown report: every case, SAME or DIFF with where the difference is documented. */
  report(): string {
    const same = this.outcomes.filter(o => o.same).length
    const doc = differencesDoc().file
    const lines = [
      `# svc and kubectl 1.35, the same argv against the same ${this.cluster === 'real' ? 'real control plane (kube-apiserver 1.35 and kwok)' : 'local cluster'}`,
      '',
      `${this.outcomes.length} cases: ${same} SAME, ${this.outcomes.length - same} DIFF. A DIFF is documented in ${doc}.`,
      '',
      '| result | case | argv | documented difference |',
      '| --- | --- | --- | --- |',
    ]
    for (const o of this.outcomes) {
      const cell = (s: string) => s.replaceAll('|', '\\|')
      lines.push(`| ${o.same ? 'SAME' : 'DIFF'} | ${cell(o.case.name)} | \`${cell(o.case.argv.join(' '))}\` | ${o.same ? '' : cell(o.case.documented ?? '**none**')} |`)
    }
    return `${lines.join('\n')}\n`
  }

  /** Writes the report to .cache/parity-report.md (parity-report-real.md for the real control plane) and returns its path. */
  writeReport(): string {
    const file = path.join(ROOT, '.cache', reportName(this.cluster))
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, this.report())
    return file
  }

  private async once(pc: ParityCase, tool: () => Promise<{code: number | null; stderr: string; stdout: string}>): Promise<KubectlResult> {
    await this.prepare(pc)
    const r = await tool()
    let stdout = r.stdout
    if (pc.check) {
      const after = await this.c.kubectl(pc.check)
      stdout += `\n--- after: kubectl ${pc.check.join(' ')} (exit ${after.code})\n${after.stdout}${after.stderr}`
    }
    return {code: r.code, stderr: r.stderr, stdout}
  }

  private async prepare(pc: ParityCase): Promise<void> {
    for (const p of pc.absent ?? []) {
      await this.api.request({method: 'DELETE', path: p}).catch(() => undefined)
      await until(() => this.api.request({path: p}).then(() => false, () => true), `${p} gone`, {intervalMs: 20})
    }
    for (const o of (pc.objects ?? []) as KubeObject[]) {
      const r = resolveResourceType(String(o.kind))
      if (!r) throw new Error(`parity: no resource for kind ${o.kind}`)
      const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`
      const p = `${base}/namespaces/${o.metadata.namespace ?? 'default'}/${r.plural}`
      await this.api.request({body: o, method: 'POST', path: p}).catch((error: {code?: number}) => {
        if (error.code !== 409) throw error
      })
    }
  }
}

/** The report's file name under .cache/ for a cluster kind. */
export function reportName(cluster: string): string {
  return cluster === 'local' ? 'parity-report.md' : `parity-report-${cluster}.md`
}

function equal(a: KubectlResult, b: KubectlResult): boolean {
  return a.code === b.code && normalize(a.stdout) === normalize(b.stdout) && normalize(a.stderr) === normalize(b.stderr)
}

/** Both results side by side, for a failure message. */
export function explain(o: Outcome): string {
  const show = (r: KubectlResult) => `exit ${r.code}\n  stdout: ${JSON.stringify(normalize(r.stdout))}\n  stderr: ${JSON.stringify(normalize(r.stderr))}`
  return `argv: ${o.case.argv.join(' ')}\nkubectl: ${show(o.kubectl)}\nsvc:     ${show(o.svc)}`
}
