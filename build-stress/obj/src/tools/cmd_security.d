build-stress/obj/src/tools/cmd_security.o: src/tools/cmd_security.c \
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
