// The one Markdown subset of the bot's texts, rendered the same in the chat, the console and the
// editor's preview: paragraphs and line breaks, "- " / "• " / "1. " lists, **bold**, [label](https://…)
// links and bare https:// links. It builds DOM nodes from text; it never parses HTML, so an
// untrusted text can only ever come out as text.
(function (root) {
  "use strict";
  var LINK = /\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?»"'])/g;

  function link(href, label) {
    var a = document.createElement("a");
    a.href = href; a.textContent = label; a.target = "_blank"; a.rel = "noopener noreferrer";
    return a;
  }

  function inline(parent, text) {
    var at = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text)) !== null) {
      if (m.index > at) parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      if (m[1] !== undefined) { var b = document.createElement("strong"); b.textContent = m[1]; parent.appendChild(b); }
      else if (m[2] !== undefined) parent.appendChild(link(m[3], m[2]));
      else parent.appendChild(link(m[4], m[4]));
      at = LINK.lastIndex;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  var BULLET = /^\s*(?:[-•*])\s+(.*)$/, NUMBER = /^\s*(\d{1,3})[.)]\s+(.*)$/;

  // Renders `text` into `parent` (which is emptied first). plain=true: no markup at all, only
  // line breaks (what subscribers type is shown as they typed it).
  function render(parent, text, plain) {
    while (parent.firstChild) parent.removeChild(parent.firstChild);
    text = String(text == null ? "" : text);
    if (plain) {
      text.split("\n").forEach(function (line, i) {
        if (i) parent.appendChild(document.createElement("br"));
        parent.appendChild(document.createTextNode(line));
      });
      return parent;
    }
    var list = null, kind = null, para = null;
    text.split("\n").forEach(function (line) {
      var bullet = BULLET.exec(line), number = bullet ? null : NUMBER.exec(line);
      if (bullet || number) {
        var want = bullet ? "ul" : "ol";
        if (!list || kind !== want) {
          list = document.createElement(want); kind = want;
          if (number && number[1] !== "1") list.start = parseInt(number[1], 10);
          parent.appendChild(list);
        }
        var li = document.createElement("li");
        inline(li, bullet ? bullet[1] : number[2]);
        list.appendChild(li);
        para = null;
        return;
      }
      list = null; kind = null;
      if (!line.trim()) { para = null; return; }
      if (!para) { para = document.createElement("p"); parent.appendChild(para); }
      else para.appendChild(document.createElement("br"));
      inline(para, line);
    });
    return parent;
  }

  root.SBMarkdown = {render: render};
})(window);
