#include <stdio.h>
int main(void) { puts("neuroc: under construction"); return 0; }
