// Differential oracle for package term: links mosh's own terminal code
// (src/terminal of a mosh 1.4.0 checkout; see build.sh) and dumps the
// framebuffer after each test case read from stdin, in the format of
// oracleDump in oracle_diff_test.go. Only this driver is ours; nothing of
// mosh is copied into the repository.
//
// Input, repeated: 'N' w h (new emulator) | 'W' len bytes (write) |
// 'R' w h (resize) | 'D' (dump); integers are 4-byte little endian.
#define private public
#define protected public
#include "terminal.h"
#include "parser.h"
#undef private
#undef protected

#include <clocale>
#include <cstdio>
#include <cstdint>
#include <string>
#include <vector>

static bool read_u32(uint32_t *v) {
  unsigned char b[4];
  if (fread(b, 1, 4, stdin) != 4) return false;
  *v = b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
  return true;
}

static void put_wide(std::string &out, const std::vector<wchar_t> &s) {
  for (wchar_t c : s) {
    char buf[16];
    snprintf(buf, sizeof buf, "%X,", (unsigned)c);
    out += buf;
  }
}

static void dump(Terminal::Emulator &emu, std::string &answers) {
  const Terminal::Framebuffer &fb = emu.fb;
  const Terminal::DrawState &ds = fb.ds;
  std::string out;
  char buf[256];
  snprintf(buf, sizeof buf, "size %d %d cursor %d %d comb %d %d wrap %d vis %d\n",
           ds.get_width(), ds.get_height(), ds.get_cursor_row(), ds.get_cursor_col(),
           ds.combining_char_row, ds.combining_char_col, ds.next_print_will_wrap, ds.cursor_visible);
  out += buf;
  snprintf(buf, sizeof buf, "modes origin %d awm %d irm %d rev %d paste %d mouse %d focus %d alt %d enc %d ckm %d\n",
           ds.origin_mode, ds.auto_wrap_mode, ds.insert_mode, ds.reverse_video, ds.bracketed_paste,
           (int)ds.mouse_reporting_mode, ds.mouse_focus_event, ds.mouse_alternate_scroll,
           (int)ds.mouse_encoding_mode, ds.application_mode_cursor_keys);
  out += buf;
  snprintf(buf, sizeof buf, "region %d %d rend %s\n", ds.get_scrolling_region_top_row(),
           ds.get_scrolling_region_bottom_row(), ds.get_renditions().sgr().c_str());
  out += buf;
  snprintf(buf, sizeof buf, "saved %d %d %d %d %s\n", ds.save.cursor_row, ds.save.cursor_col,
           ds.save.auto_wrap_mode, ds.save.origin_mode, ds.save.renditions.sgr().c_str());
  out += buf;
  out += "tabs";
  for (int i = 0; i < ds.get_width(); i++) {
    if (ds.tabs[i]) {
      snprintf(buf, sizeof buf, " %d", i);
      out += buf;
    }
  }
  out += "\n";
  snprintf(buf, sizeof buf, "bell %u titleset %d\n", fb.get_bell_count(), fb.is_title_initialized());
  out += buf;
  out += "title ";
  put_wide(out, fb.get_window_title());
  out += "\nicon ";
  put_wide(out, fb.get_icon_name());
  out += "\nclip ";
  put_wide(out, fb.get_clipboard());
  out += "\nanswers ";
  for (unsigned char c : answers) {
    snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  out += "\n";
  answers.clear();
  for (int y = 0; y < ds.get_height(); y++) {
    const Terminal::Row *row = fb.get_row(y);
    snprintf(buf, sizeof buf, "row %d:", y);
    out += buf;
    for (const Terminal::Cell &c : row->cells) {
      out += " ";
      for (unsigned char ch : c.contents) {
        snprintf(buf, sizeof buf, "%02x", ch);
        out += buf;
      }
      snprintf(buf, sizeof buf, "/%d%d%d", c.wide, c.fallback, c.wrap);
      out += buf;
      out += c.get_renditions().sgr().substr(2);
    }
    out += "\n";
  }
  out += "end\n";
  fwrite(out.data(), 1, out.size(), stdout);
}

int main() {
  setlocale(LC_ALL, "C.UTF-8");
  Terminal::Emulator *emu = nullptr;
  Parser::UTF8Parser *parser = nullptr;
  std::string answers;
  int op;
  while ((op = getchar()) != EOF) {
    uint32_t a, b;
    switch (op) {
    case 'N':
      read_u32(&a); read_u32(&b);
      delete emu; delete parser;
      emu = new Terminal::Emulator(a, b);
      parser = new Parser::UTF8Parser();
      answers.clear();
      break;
    case 'R':
      read_u32(&a); read_u32(&b);
      emu->resize(a, b);
      break;
    case 'W': {
      read_u32(&a);
      std::vector<char> data(a);
      if (a && fread(data.data(), 1, a, stdin) != a) return 1;
      for (char c : data) {
        Parser::Actions actions;
        parser->input(c, actions);
        for (auto &act : actions) act->act_on_terminal(emu);
      }
      answers += emu->read_octets_to_host();
      break;
    }
    case 'D':
      dump(*emu, answers);
      fflush(stdout);
      break;
    default:
      return 2;
    }
  }
  return 0;
}
