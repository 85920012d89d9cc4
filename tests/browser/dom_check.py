#!/usr/bin/python3
"""Checks a DOM as Chromium serialized it (chromium --dump-dom).

    dom_check.py DOM_FILE CHECK...

CHECKs, each printed as "ok NAME" or "FAIL NAME: why"; exit 1 if any failed:
    table:ID:N      a <table id=ID> with at least N body rows
    inert           no <script>, <iframe>, <object>, <embed>, <img>, <link>,
                    no on* attribute, no src, no href outside the page, no
                    url( in a style: nothing that runs or fetches
    text:STRING     STRING occurs in the text (not in markup)
    notext:STRING   STRING does not occur in the text
    title:PREFIX    document title starts with PREFIX (prints the title)
"""
import sys
from html.parser import HTMLParser

ACTIVE = {"script", "iframe", "object", "embed", "img", "link", "frame", "base", "form", "audio", "video",
          "source", "input", "image", "use", "foreignobject"}


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables = {}        # id -> body rows
        self.stack = []         # open tables' ids
        self.in_tbody = []
        self.problems = []
        self.text = []
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ACTIVE:
            self.problems.append("<%s> element" % tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("%s attribute on <%s>" % (k, tag))
            if k in ("src", "srcset", "action", "formaction", "xlink:href", "background", "poster"):
                self.problems.append("%s attribute on <%s>" % (k, tag))
            if k == "href" and not (v or "").startswith("#"):
                self.problems.append("href %r" % v)
            if k == "style" and "url(" in (v or ""):
                self.problems.append("url( in style")
        if tag == "table":
            self.stack.append(a.get("id"))
            self.tables.setdefault(a.get("id"), 0)
        elif tag == "tr" and self.stack and self.stack[-1] is not None:
            self.tables[self.stack[-1]] += 1
        elif tag == "title" and not self.title:
            self.in_title = True   # the document's; SVG charts have titles too

    def handle_endtag(self, tag):
        if tag == "table" and self.stack:
            self.stack.pop()
        elif tag == "title":
            self.in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self.in_title:
            self.title += data


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    dom = Dom()
    dom.feed(open(argv[0], encoding="utf-8", errors="replace").read())
    text = "".join(dom.text)
    failed = 0
    for check in argv[1:]:
        kind, _, arg = check.partition(":")
        why = None
        if kind == "table":
            tid, _, n = arg.rpartition(":")
            rows = dom.tables.get(tid)
            # a header row counts as a row in the DOM; ask for N body rows
            if rows is None:
                why = "no table#%s" % tid
            elif rows - 1 < int(n):
                why = "table#%s has %d rows" % (tid, rows - 1)
        elif kind == "inert":
            if dom.problems:
                why = "; ".join(sorted(set(dom.problems))[:5])
        elif kind == "text":
            if arg not in text:
                why = "not in the text"
        elif kind == "notext":
            if arg in text:
                why = "found in the text"
        elif kind == "title":
            print("title: %s" % dom.title)
            if not dom.title.startswith(arg):
                why = "title is %r" % dom.title
        else:
            why = "unknown check"
        if why:
            failed += 1
            print("FAIL %s: %s" % (check, why))
        else:
            print("ok %s" % check)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
