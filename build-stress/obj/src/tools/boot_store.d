build-stress/obj/src/tools/boot_store.o: src/tools/boot_store.c \
 src/tools/boot_tools.h include/macext/boot.h include/macext/core.h \
 include/macext/err.h src/tools/tools.h include/macext/store.h \
 include/macext/rd.h
src/tools/boot_tools.h:
include/macext/boot.h:
include/macext/core.h:
include/macext/err.h:
src/tools/tools.h:
include/macext/store.h:
include/macext/rd.h:
