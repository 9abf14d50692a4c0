'use strict'

const TAG_RX = /<[^>]+>/g

module.exports = (html) => html && String(html).replace(TAG_RX, '')
