/*
 * argv.exe: print how this program's command line was split, one line per item, each as
 * the hex of its UTF-16 code units (4 hex digits per unit), so every character is
 * unambiguous:
 *   L <hex>   the raw command line (GetCommandLineW), exactly as CreateProcess received it
 *   A <hex>   each argv word the C runtime parsed for wmain (msvcrt's rules), argv[0] first
 *   C <hex>   each word CommandLineToArgvW (shell32) parses from the same command line
 * Written with WriteFile, so no text-mode translation touches the output.
 * Build: x86_64-w64-mingw32-gcc -municode -O2 -o argv.exe argv.c -lshell32
 */
#include <windows.h>
#include <shellapi.h>

/* mingw-w64: never expand wildcards in argv (neither does an MSVC program by default). */
int _dowildcard = 0;

static char *out;
static size_t outLen, outCap;

static void emit(const char *tag, const wchar_t *s) {
  size_t n = lstrlenW(s);
  size_t need = outLen + 2 + 4 * n + 1;
  if (need > outCap) {
    outCap = need * 2 + 4096;
    out = out ? HeapReAlloc(GetProcessHeap(), 0, out, outCap) : HeapAlloc(GetProcessHeap(), 0, outCap);
  }
  static const char hex[] = "0123456789abcdef";
  out[outLen++] = tag[0];
  out[outLen++] = ' ';
  for (size_t i = 0; i < n; i++) {
    unsigned u = (unsigned short)s[i];
    out[outLen++] = hex[(u >> 12) & 15];
    out[outLen++] = hex[(u >> 8) & 15];
    out[outLen++] = hex[(u >> 4) & 15];
    out[outLen++] = hex[u & 15];
  }
  out[outLen++] = '\n';
}

int wmain(int argc, wchar_t **argv) {
  const wchar_t *line = GetCommandLineW();
  emit("L", line);
  for (int i = 0; i < argc; i++) emit("A", argv[i]);
  int n = 0;
  wchar_t **cv = CommandLineToArgvW(line, &n);
  for (int i = 0; cv && i < n; i++) emit("C", cv[i]);
  DWORD done = 0, w;
  HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
  while (done < outLen && WriteFile(h, out + done, (DWORD)(outLen - done), &w, NULL) && w > 0) done += w;
  return 0;
}
