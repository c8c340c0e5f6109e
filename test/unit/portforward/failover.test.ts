import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ApiError} from '../../../src/kube/errors.ts'
import type {Backend} from '../../../src/portforward/balancer.ts'
import {FAILOVER_RETRIES, openWithFailover} from '../../../src/portforward/failover.ts'
import type {Tunnel} from '../../../src/portforward/types.ts'

const gone = (pod: string) => new ApiError(404, {message: `pods "${pod}" not found`})
const tunnelTo = (pod: string) => ({pod}) as unknown as Tunnel

/** Runs openWithFailover over pods a..e, where `unreachable` pods fail with `failure(pod)`. */
async function run(unreachable: string[], options: {failure?: (pod: string) => Error; more?: boolean; abort?: boolean} = {}) {
  const pods = ['a', 'b', 'c', 'd', 'e']
  const tried: string[] = []
  const told: string[] = []
  const controller = new AbortController()
  if (options.abort) controller.abort()
  const backend = (pod: string): Backend => ({pod, port: 80})
  try {
    const {backend: chosen, tunnel} = await openWithFailover({
      first: backend('a'),
      next: exclude => (options.more === false ? undefined : pods.filter(p => !exclude.has(p)).map(backend)[0]),
      onBackend: b => told.push(b.pod),
      open: async b => {
        tried.push(b.pod)
        if (unreachable.includes(b.pod)) throw (options.failure ?? gone)(b.pod)
        return tunnelTo(b.pod)
      },
      signal: controller.signal,
    })
    assert.equal((tunnel as unknown as {pod: string}).pod, chosen.pod)
    return {chosen: chosen.pod, told, tried}
  } catch (error) {
    return {error: (error as Error).message, told, tried}
  }
}

describe('openWithFailover: an unreachable pod gives way to another', () => {
  it('the first pod answers', async () => assert.deepEqual(await run([]), {chosen: 'a', told: ['a'], tried: ['a']}))
  it('a gone pod is skipped', async () => assert.deepEqual(await run(['a']), {chosen: 'b', told: ['a', 'b'], tried: ['a', 'b']}))
  it(`at most ${FAILOVER_RETRIES} more tries`, async () => assert.deepEqual(await run(['a', 'b', 'c', 'd']),
    {error: 'pods "d" not found', told: ['a', 'b', 'c', 'd'], tried: ['a', 'b', 'c', 'd']}))
  it('no other pod: the first error', async () => assert.deepEqual(await run(['a'], {more: false}), {error: 'pods "a" not found', told: ['a'], tried: ['a']}))
  it('an error that is not the pod\'s is not retried', async () => assert.deepEqual(await run(['a'], {failure: () => new ApiError(403, {message: 'forbidden'})}),
    {error: 'forbidden', told: ['a'], tried: ['a']}))
  it('an aborted connection is not retried', async () => assert.deepEqual(await run(['a'], {abort: true}), {error: 'pods "a" not found', told: ['a'], tried: ['a']}))
})
