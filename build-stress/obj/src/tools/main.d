build-stress/obj/src/tools/main.o: src/tools/main.c src/tools/tools.h \
 include/macext/core.h include/macext/err.h include/macext/store.h
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
