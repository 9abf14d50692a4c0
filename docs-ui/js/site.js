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

  Array.prototype.forEach.call(document.querySelectorAll('.doc .listingblock > .content, .doc .literalblock > .content'), function (box) {
    var pre = box.querySelector('pre')
    if (!pre) return
    var lang = pre.querySelector('code[data-lang]')
    if (lang) {
      var tag = document.createElement('span')
      tag.className = 'source-lang'
      tag.textContent = lang.getAttribute('data-lang')
      box.appendChild(tag)
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
    box.appendChild(button)
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
