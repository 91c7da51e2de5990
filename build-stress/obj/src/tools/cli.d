build-stress/obj/src/tools/cli.o: src/tools/cli.c src/tools/tools.h \
 include/macext/core.h include/macext/err.h include/macext/store.h
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
