/*
 * launcher.exe IN OUT: run raw command lines with CreateProcessW, exactly as given, one after
 * the other, and record what each child wrote.
 *
 * IN holds one command line per line, each as the hex of its UTF-16 code units (4 hex digits
 * per unit), so any character (quotes, spaces, newlines, non-ASCII) is carried exactly.
 * For each, OUT gets a header line "R <index> <exit code> <error> <n>\n" followed by exactly
 * <n> bytes: the child's stdout and stderr (one pipe). <error> is GetLastError() when
 * CreateProcessW failed (exit code then 4294967295), else 0. The child's stdin is NUL.
 * Build: x86_64-w64-mingw32-gcc -municode -O2 -o launcher.exe launcher.c
 */
#include <windows.h>
#include <stdio.h>

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static char *readAll(const wchar_t *path, DWORD *len) {
  HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
  if (f == INVALID_HANDLE_VALUE) return NULL;
  DWORD size = GetFileSize(f, NULL), got = 0, r;
  char *buf = HeapAlloc(GetProcessHeap(), 0, size + 1);
  while (got < size && ReadFile(f, buf + got, size - got, &r, NULL) && r > 0) got += r;
  CloseHandle(f);
  buf[got] = 0;
  *len = got;
  return buf;
}

static void writeAll(HANDLE h, const char *p, DWORD n) {
  DWORD w;
  while (n > 0 && WriteFile(h, p, n, &w, NULL) && w > 0) { p += w; n -= w; }
}

int wmain(int argc, wchar_t **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: launcher.exe IN OUT\n");
    return 2;
  }
  DWORD len;
  char *in = readAll(argv[1], &len);
  if (!in) {
    fprintf(stderr, "launcher: cannot read input (error %lu)\n", GetLastError());
    return 2;
  }
  HANDLE outFile = CreateFileW(argv[2], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
  if (outFile == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "launcher: cannot create output (error %lu)\n", GetLastError());
    return 2;
  }
  SECURITY_ATTRIBUTES inherit = { sizeof inherit, NULL, TRUE };
  HANDLE nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
  size_t cap = 1 << 16;
  char *data = HeapAlloc(GetProcessHeap(), 0, cap);
  int index = 0;
  for (DWORD pos = 0; pos < len; index++) {
    DWORD end = pos;
    while (end < len && in[end] != '\n') end++;
    DWORD units = (end - pos) / 4;
    wchar_t *cmd = HeapAlloc(GetProcessHeap(), 0, (units + 1) * sizeof(wchar_t));
    for (DWORD i = 0; i < units; i++) {
      const char *h = in + pos + 4 * i;
      cmd[i] = (wchar_t)((hexval(h[0]) << 12) | (hexval(h[1]) << 8) | (hexval(h[2]) << 4) | hexval(h[3]));
    }
    cmd[units] = 0;
    pos = end + 1;

    HANDLE rd, wr;
    CreatePipe(&rd, &wr, &inherit, 0);
    SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOW si;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = nul;
    si.hStdOutput = wr;
    si.hStdError = wr;
    PROCESS_INFORMATION pi;
    DWORD code = 0xffffffff, err = 0;
    size_t n = 0;
    if (CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
      CloseHandle(wr);
      DWORD r;
      for (;;) {
        if (cap - n < 4096) {
          cap *= 2;
          data = HeapReAlloc(GetProcessHeap(), 0, data, cap);
        }
        if (!ReadFile(rd, data + n, (DWORD)(cap - n), &r, NULL) || r == 0) break;
        n += r;
      }
      WaitForSingleObject(pi.hProcess, INFINITE);
      GetExitCodeProcess(pi.hProcess, &code);
      CloseHandle(pi.hProcess);
      CloseHandle(pi.hThread);
    } else {
      err = GetLastError();
      CloseHandle(wr);
    }
    CloseHandle(rd);
    HeapFree(GetProcessHeap(), 0, cmd);
    char head[96];
    int hl = snprintf(head, sizeof head, "R %d %lu %lu %lu\n", index, code, err, (unsigned long)n);
    writeAll(outFile, head, hl);
    writeAll(outFile, data, (DWORD)n);
  }
  CloseHandle(outFile);
  return 0;
}
