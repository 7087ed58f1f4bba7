#!/usr/bin/env python3
"""Writes the differential-test corpus: one file of raw terminal output per
screen, NN-name.out, each meant for an 80x24 terminal that was just reset.
Run from this directory: python3 gen.py"""
import os

E = "\x1b"
CSI = E + "["
streams = {}

def add(name, s):
    streams[name] = s.encode("utf-8") if isinstance(s, str) else s

def lines(n, fmt="line %d"):
    return "".join((fmt % i) + "\r\n" for i in range(n))

add("plain-text", "hello, world\r\nsecond line\r\n  indented\r\n")
add("long-scroll", lines(200, "output line %03d: the quick brown fox jumps over the lazy dog"))
add("scroll-no-final-newline", lines(30) + "last")
add("autowrap-exact-80", "x" * 80 + "after")
add("autowrap-80-then-crlf", "y" * 80 + "\r\nnext")
add("autowrap-long-line", "".join(chr(ord('a') + i % 26) for i in range(250)))
add("autowrap-bottom-right", CSI + "24;1H" + "z" * 80)
add("autowrap-bottom-right-cursor-back", CSI + "24;1H" + "z" * 80 + CSI + "24;78H")
add("autowrap-off", CSI + "?7l" + "n" * 100 + CSI + "?7h\r\nok")
add("cursor-moves", CSI + "5;10HA" + CSI + "2BB" + CSI + "3CC" + CSI + "4AD" + CSI + "6DE" + CSI + "20GF" + CSI + "12dG" + CSI + "1;1HH")
add("cursor-save-restore", CSI + "3;3Hsaved" + E + "7" + CSI + "10;10Helsewhere" + E + "8" + "X" + CSI + "s" + CSI + "u")
add("cursor-hidden", "text" + CSI + "?25l")
add("sgr-basic", "".join(CSI + "%dm%d " % (c, c) for c in [1, 3, 4, 5, 7, 8]) + CSI + "0mplain")
add("sgr-colors-16", "".join(CSI + "%dm fg%d " % (30 + i, i) for i in range(8)) + CSI + "0m\r\n" +
    "".join(CSI + "%dm bg%d " % (40 + i, i) for i in range(8)) + CSI + "0m\r\n" +
    "".join(CSI + "%dm br%d " % (90 + i, i) for i in range(8)) + CSI + "0m\r\n" +
    "".join(CSI + "%dm bb%d " % (100 + i, i) for i in range(8)) + CSI + "0m")
add("sgr-256", "".join(CSI + "38;5;%dm#" % i for i in range(256)) + CSI + "0m\r\n" +
    "".join(CSI + "48;5;%dm " % i for i in range(0, 256, 3)) + CSI + "0m")
add("sgr-truecolor", "".join(CSI + "38;2;%d;%d;%dm*" % (i * 3, 255 - i * 3, (i * 7) % 256) for i in range(80)) + CSI + "0m\r\n" +
    "".join(CSI + "48;2;%d;0;%dm " % (i * 3, 255 - i * 3) for i in range(80)) + CSI + "0m")
add("sgr-combined-reset", CSI + "1;4;31;42mboth" + CSI + "22mnobold" + CSI + "24munder-off" + CSI + "39mfg-off" + CSI + "49mbg-off" + CSI + "m")
add("sgr-bce-erase", CSI + "44m" + CSI + "2J" + CSI + "5;5Hblue screen" + CSI + "0m")
add("sgr-bce-el", "line" + CSI + "41m" + CSI + "K" + CSI + "0m\r\n" + CSI + "42m" + CSI + "20G" + CSI + "1K" + CSI + "0m")
add("sgr-inverse-spaces", CSI + "7m" + " " * 20 + CSI + "0m|" + CSI + "4m    " + CSI + "0m|")
add("utf8-latin", "café naïve résumé Ærøskøbing ß €uro ±×÷ ¿¡\r\n")
add("utf8-wide-cjk", "中文字符测试 日本語のテキスト 한국어 텍스트\r\n")
add("utf8-wide-at-line-end", "x" * 79 + "中next")
add("utf8-wide-at-col-78", "x" * 78 + "中after")
add("utf8-emoji", "smile 😀 party 🎉 thumbs 👍 flag 🇫🇷 family 👨‍👩‍👧\r\n")
add("utf8-emoji-line-end", "e" * 79 + "😀" + "\r\n" + "f" * 78 + "😀😀")
add("utf8-combining", "e\u0301 a\u0308 o\u0302\u0323 n\u0303 \u0041\u030a\r\n")
add("utf8-combining-start-of-line", "\u0301start\r\n" + CSI + "5G\u0308mid")
add("utf8-combining-after-wide", "中\u0301 文\u0308")
add("utf8-invalid", b"bad \xff\xfe bytes \xc3 trunc \xe4\xb8 end\r\n")
add("utf8-nbsp", "no\u00a0break\u00a0space")
add("ed-below", lines(10, "row %d ........................") + CSI + "5;10H" + CSI + "J")
add("ed-above", lines(10, "row %d ........................") + CSI + "5;10H" + CSI + "1J")
add("ed-all", lines(10) + CSI + "2J" + "after clear")
add("el-variants", CSI + "2;1H" + "A" * 40 + CSI + "2;20H" + CSI + "K" + CSI + "3;1H" + "B" * 40 + CSI + "3;20H" + CSI + "1K" + CSI + "4;1H" + "C" * 40 + CSI + "4;20H" + CSI + "2K")
add("ech", "0123456789abcdefghij" + CSI + "5G" + CSI + "6X" + CSI + "2;1H" + "klmnopqrst" + CSI + "2;3H" + CSI + "X")
add("ich", "0123456789" + CSI + "4G" + CSI + "3@" + "ins")
add("dch", "0123456789abcdef" + CSI + "4G" + CSI + "5P")
add("il", lines(10, "line %d") + CSI + "4;1H" + CSI + "2L" + "inserted")
add("dl", lines(10, "line %d") + CSI + "4;1H" + CSI + "3M" + "deleted")
add("su-sd", lines(10, "line %d") + CSI + "2S" + CSI + "1;40Hup" + CSI + "T")
add("scroll-region-lf", CSI + "5;10r" + CSI + "10;1H" + lines(8, "region %d") + CSI + "r" + CSI + "1;1Htop")
add("scroll-region-ri", lines(12, "line %d") + CSI + "3;8r" + CSI + "3;1H" + E + "M" + E + "M" + "reverse" + CSI + "r")
add("scroll-region-il-dl", lines(15, "line %d") + CSI + "2;12r" + CSI + "5;1H" + CSI + "3L" + CSI + "10;1H" + CSI + "2M" + CSI + "r")
add("scroll-region-status-line", CSI + "1;23r" + CSI + "24;1H" + CSI + "7mSTATUS LINE" + " " * 69 + CSI + "0m" + CSI + "23;1H" + lines(40, "body %d"))
add("origin-mode", CSI + "5;15r" + CSI + "?6h" + CSI + "1;1Horigin" + CSI + "20;1Hclamped" + CSI + "?6l" + CSI + "r")
add("tabs-default", "a\tb\tc\td\te\tf\tg\th\ti\tj\tk")
add("tabs-set-clear", CSI + "3g" + CSI + "5G" + E + "H" + CSI + "15G" + E + "H" + "\r\tx\ty\tz" + "\r\n" + CSI + "2;15H" + CSI + "g" + "\r\tp\tq")
add("tabs-cht-cbt", CSI + "3Ia" + CSI + "2Zb" + CSI + "40G" + CSI + "Zc")
add("insert-mode", "abcdefgh" + CSI + "3G" + CSI + "4hINS" + CSI + "4l" + "o")
add("backspace-overwrite", "hello\b\b\bXY\r\nworld\b\b\b\b\b\bZ")
add("cr-lf-mix", "one\rtwo\nthree\r\n\nfour\x0bfive\x0csix")
add("bell", "ring\a the bell\a\a")
add("title-osc0", E + "]0;my window title\a" + "titled")
add("title-osc2-st", E + "]2;other title" + E + "\\" + "st")
add("title-icon-differs", E + "]1;icon" + "\a" + E + "]2;window\a" + "two")
add("decaln", E + "#8" + CSI + "12;40Hcenter")
add("decstr", CSI + "1;31m" + CSI + "4h" + CSI + "!p" + "soft reset")
add("reverse-video", CSI + "?5h" + "reversed screen")
add("modes-mouse-paste", CSI + "?1002h" + CSI + "?1006h" + CSI + "?2004h" + CSI + "?1004h" + "modes on")
add("alternate-screen", "main screen" + CSI + "?1049h" + CSI + "2J" + CSI + "Halt screen" + CSI + "?1049l" + "back")
add("ris-midway", "before" + E + "c" + "after")
add("vim-like", CSI + "?1049h" + CSI + "1;24r" + CSI + "H" + CSI + "2J" +
    "".join(CSI + "%d;1H" % (i + 1) + CSI + "34m~" + CSI + "0m" for i in range(1, 23)) +
    CSI + "1;1H#include <stdio.h>" + CSI + "24;1H" + CSI + "1m-- INSERT --" + CSI + "0m" + CSI + "24;63H1,1           All" + CSI + "1;1H")
add("htop-like", CSI + "H" + CSI + "2J" + "".join(
    CSI + "%d;1H" % (i + 1) + CSI + "32m%5d " % (1000 + i) + CSI + "0mroot  20  0 " + CSI + "1;36m%3d.%d" % (i * 3 % 100, i % 10) + CSI + "0m" + " " * 20 + "/usr/bin/prog%d" % i
    for i in range(23)) + CSI + "24;1H" + CSI + "30;46mF1" + CSI + "0mHelp " + CSI + "30;46mF10" + CSI + "0mQuit")
add("progress-bar", "".join("\rprogress [" + "#" * i + " " * (40 - i) + "] %3d%%" % (i * 100 // 40) for i in range(41)) + "\r\ndone")
add("ls-color", "".join(CSI + "01;34m" + "dir%d" % i + CSI + "0m  " + CSI + "01;32m" + "exe%d" % i + CSI + "0m  file%d\r\n" % i for i in range(30)))
add("prompt-overwrite", "$ ls -la" + "\b" * 6 + CSI + "K" + "echo hi\r\nhi\r\n$ ")
add("wide-overwrite-halves", "中文中文" + CSI + "1;2Hx" + CSI + "1;5Hy")
add("wide-replaced-by-narrow", "中文" + CSI + "1;1Hab")
add("clear-runs", "a" + CSI + "3C" + "b" + CSI + "10C" + "c" + CSI + "2;1H" + CSI + "41m" + " " * 3 + CSI + "0m" + "d")
add("many-blank-rows", CSI + "24;1Hbottom" + CSI + "1;1Htop")
add("scroll-then-edit", lines(30, "log %d") + CSI + "10;5HEDIT" + CSI + "24;1H")

# Streams in several parts, written 0.3 s apart so that mosh sends a frame
# for each: NN-name.out, then NN-name.out2, .out3, ...
parts = {}
parts["wide-uncovered-two-frames"] = ["\u4e2d" + CSI + "1;2Hx", CSI + "1;1Ha"]
parts["scroll-in-two-frames"] = [lines(20, "first %d"), lines(10, "second %d") + CSI + "3;3Hedit"]
parts["typing-frames"] = ["$ ", "l", "s", " -", "l\r\n", "total 0\r\n$ "]

os.makedirs(".", exist_ok=True)
for f in os.listdir("."):
    if ".out" in f:
        os.remove(f)
for i, (name, data) in enumerate(streams.items()):
    with open("%02d-%s.out" % (i, name), "wb") as fh:
        fh.write(data)
n = len(streams)
for i, (name, ps) in enumerate(parts.items()):
    for j, p in enumerate(ps):
        with open("%02d-%s.out%s" % (n + i, name, "" if j == 0 else str(j + 1)), "wb") as fh:
            fh.write(p.encode("utf-8"))
print(len(streams) + len(parts), "streams")
