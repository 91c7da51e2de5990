build-stress/obj/src/tools/cmd_boot.o: src/tools/cmd_boot.c \
 src/tools/tools.h include/macext/core.h include/macext/err.h \
 include/macext/store.h src/tools/boot_tools.h include/macext/boot.h
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
src/tools/boot_tools.h:
include/macext/boot.h:
