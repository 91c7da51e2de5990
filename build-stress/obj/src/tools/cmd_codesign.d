build-stress/obj/src/tools/cmd_codesign.o: src/tools/cmd_codesign.c \
 include/macext/codesign.h include/macext/err.h include/macext/macho.h \
 src/tools/tools.h include/macext/core.h include/macext/store.h
include/macext/codesign.h:
include/macext/err.h:
include/macext/macho.h:
src/tools/tools.h:
include/macext/core.h:
include/macext/store.h:
