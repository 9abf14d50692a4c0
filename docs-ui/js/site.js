/* Lab guide behaviour: navigation toggle on small screens, copy buttons, "on this page" list. */
;(function () {
  'use strict'

  // --- navigation toggle (small screens) ---
  var toggle = document.querySelector('.nav-toggle')
  if (toggle) {
    toggle.addEventListener('click', function () {
      var open = document.documentElement.classList.toggle('nav-open')
      toggle.setAttribute('aria-expanded', String(open))
    })
  }
  var current = document.querySelector('.nav .is-current-page')
  if (current && current.scrollIntoView) current.scrollIntoView({ block: 'center' })

  // --- copy buttons on every code block ---
  function fallbackCopy (text) {
    var area = document.createElement('textarea')
    area.value = text
    area.setAttribute('readonly', '')
    area.style.position = 'fixed'
    area.style.opacity = '0'
    document.body.appendChild(area)
    area.select()
    var ok = false
    try { ok = document.execCommand('copy') } catch (e) { ok = false }
    document.body.removeChild(area)
    return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'))
  }

  function copyText (text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text) })
    }
    return fallbackCopy(text)
  }

  // Callout markers (<1>) are not part of the command: copy only the code text.
  function codeText (pre) {
    var clone = pre.cloneNode(true)
    Array.prototype.forEach.call(clone.querySelectorAll('.conum, .conum + b'), function (el) { el.remove() })
    return clone.textContent.replace(/[ \t]+$/gm, '').replace(/\n+$/, '')
  }

  // Each line of a block becomes a .line span (its newline kept inside it, so the text and what Copy
  // copies are unchanged): the stylesheet gives a wrapped line a hanging indent. Blocks whose markup
  // spreads one element over several lines are left as they are.
  function splitLines (code) {
    var nodes = Array.prototype.slice.call(code.childNodes)
    if (nodes.some(function (n) { return n.nodeType !== 3 && n.textContent.indexOf('\n') >= 0 })) return
    var line = document.createElement('span')
    line.className = 'line'
    var lines = [line]
    nodes.forEach(function (n) {
      if (n.nodeType !== 3) { line.appendChild(n); return }
      var parts = n.textContent.split('\n')
      parts.forEach(function (part, i) {
        if (i > 0) {
          line.appendChild(document.createTextNode('\n'))
          line = document.createElement('span')
          line.className = 'line'
          lines.push(line)
        }
        if (part) line.appendChild(document.createTextNode(part))
      })
    })
    if (!line.childNodes.length) lines.pop()
    code.textContent = ''
    lines.forEach(function (l) { code.appendChild(l) })
  }

  Array.prototype.forEach.call(document.querySelectorAll('.doc .listingblock > .content, .doc .literalblock > .content'), function (box) {
    var pre = box.querySelector('pre')
    if (!pre) return
    splitLines(pre.querySelector('code') || pre)
    var tools = document.createElement('div')
    tools.className = 'code-tools'
    var lang = pre.querySelector('code[data-lang]')
    if (lang) {
      var tag = document.createElement('span')
      tag.className = 'source-lang'
      tag.textContent = lang.getAttribute('data-lang')
      tools.appendChild(tag)
    }
    // A block wider than its column wraps; offer the aligned, sideways-scrolling view too.
    box.classList.add('is-nowrap')
    var wide = pre.scrollWidth > pre.clientWidth + 1
    box.classList.remove('is-nowrap')
    if (wide) {
      var wrap = document.createElement('button')
      wrap.type = 'button'
      wrap.className = 'wrap-button'
      wrap.textContent = 'No wrap'
      wrap.setAttribute('aria-pressed', 'false')
      wrap.setAttribute('aria-label', 'Show long lines unwrapped, scrolling sideways')
      wrap.addEventListener('click', function () {
        var nowrap = box.classList.toggle('is-nowrap')
        wrap.setAttribute('aria-pressed', String(nowrap))
        wrap.textContent = nowrap ? 'Wrap' : 'No wrap'
      })
      tools.appendChild(wrap)
    }
    var button = document.createElement('button')
    button.type = 'button'
    button.className = 'copy-button'
    button.textContent = 'Copy'
    button.setAttribute('aria-label', 'Copy to clipboard')
    button.addEventListener('click', function () {
      var text = codeText(pre)
      copyText(text).then(function () {
        button.classList.add('is-copied')
        button.textContent = 'Copied!'
        box.setAttribute('data-copied', text)
        setTimeout(function () {
          button.classList.remove('is-copied')
          button.textContent = 'Copy'
        }, 2000)
      }, function () {
        button.textContent = 'Select and copy'
      })
    })
    tools.appendChild(button)
    box.appendChild(tools)
  })

  // --- "on this page" list built from the article's section headings ---
  var tocList = document.querySelector('[data-toc]')
  var headings = document.querySelectorAll('.doc h2[id], .doc h3[id]')
  if (tocList && headings.length > 1) {
    var links = []
    Array.prototype.forEach.call(headings, function (h) {
      var li = document.createElement('li')
      li.className = 'level-' + h.tagName.charAt(1)
      var a = document.createElement('a')
      a.href = '#' + h.id
      a.textContent = h.textContent.replace(/^#/, '')
      li.appendChild(a)
      tocList.appendChild(li)
      links.push({ a: a, h: h })
    })
    tocList.closest('.toc').classList.add('has-entries')
    if ('IntersectionObserver' in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return
          links.forEach(function (l) { l.a.classList.toggle('is-active', l.h === entry.target) })
        })
      }, { rootMargin: '0px 0px -70% 0px' })
      links.forEach(function (l) { observer.observe(l.h) })
    }
  }
})()
