'use strict'

// A navigation entry is the current page when its URL, without the fragment, is the page URL.
module.exports = (url, pageUrl) => Boolean(url && pageUrl) && url.split('#')[0] === pageUrl && !url.includes('#')
