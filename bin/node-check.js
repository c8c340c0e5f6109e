// The oldest Node svc runs on, checked before anything else loads. Plain JavaScript that any
// Node can parse, so an old one reaches the message instead of a syntax error.
'use strict'
const MINIMUM = [22, 19]

/** The refusal line for a Node version string like "20.20.2", or undefined when it is new enough. */
function nodeTooOld(version) {
  const [major, minor] = version.split('.').map(Number)
  if (major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])) return undefined
  return `svc needs Node.js ${MINIMUM.join('.')} or newer; this is ${version}`
}

module.exports = {MINIMUM, nodeTooOld}
