<?xml version="1.0" encoding="utf-8"?>
<!--
  Makes rss.xml and atom.xml readable when a person opens them in a browser:
  a short Chinese explanation of what a feed is, then the items. Feed readers
  ignore the <?xml-stylesheet?> line that points here. Served as /feed.xsl.
-->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
  <xsl:variable name="home" select="/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href"/>

  <xsl:template match="/">
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> · 订阅源</title>
        <style>
          :root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #fff; --line: #e3e3e3; --accent: #b3121f; --note: #fff8e1; }
          @media (prefers-color-scheme: dark) { :root { --fg: #e8e8e8; --muted: #a0a4a8; --bg: #161617; --line: #333; --accent: #ff6b6b; --note: #2a2616; } }
          body { margin: 0; background: var(--bg); color: var(--fg); font-size: 17px; line-height: 1.8;
            font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; }
          main { max-width: 42rem; margin: 0 auto; padding: 1rem; }
          .note { background: var(--note); border: 1px solid var(--line); padding: .75rem 1rem; font-size: .95rem; }
          h1 { font-size: 1.5rem; margin: .5rem 0; }
          h2 { font-size: 1.15rem; line-height: 1.5; margin: .2rem 0; }
          ol { list-style: none; padding: 0; }
          li { border-bottom: 1px solid var(--line); padding: .8rem 0; }
          a { color: var(--accent); overflow-wrap: anywhere; }
          .muted { color: var(--muted); font-size: .9rem; }
          code { overflow-wrap: anywhere; }
        </style>
      </head>
      <body>
        <main>
          <p class="note"><strong>这是一个订阅源（RSS/Atom）。</strong>把本页地址复制到阅读器（如 Feedly、Inoreader、NetNewsWire）中，即可自动收到新文章。
            <a href="{$home}">返回网站</a></p>
          <h1 id="feed-title"><xsl:value-of select="$title"/></h1>
          <p class="muted"><xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/></p>
          <ol>
            <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <div class="muted"><xsl:value-of select="pubDate"/></div>
      <div><xsl:value-of select="description"/></div>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <h2><a href="{atom:link[not(@rel) or @rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <div class="muted"><xsl:value-of select="substring(atom:published, 1, 10)"/></div>
      <div><xsl:value-of select="atom:summary"/></div>
    </li>
  </xsl:template>
</xsl:stylesheet>
