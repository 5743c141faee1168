namespace SearchRec.Synthetic.Internals;

/// <summary>An attribute of a fine category: its name and the values titles draw from.</summary>
internal sealed record AttributeSpec(string Name, string[] Values);

/// <summary>
/// A leaf category: the product-type words titles use (the first is the one people search), the attributes
/// (the first is the one queries may add, e.g. a colour), model-number templates and a price range in yuan.
/// </summary>
/// <remarks>Model templates: <c>@</c> an upper-case letter, <c>%</c> a lower-case one, <c>#</c> a digit, <c>$</c> a digit 1–9.</remarks>
internal sealed record FineSpec(string Name, string[] TypeWords, AttributeSpec[] Attributes, string[] Models, double PriceLow, double PriceHigh);

/// <summary>A top category: its brands (premium first, budget last), its marketing words and its leaves.</summary>
internal sealed record CoarseSpec(string Name, string[] Brands, string[] Marketing, FineSpec[] Leaves);

/// <summary>The synthetic shop's word lists. Fixed data: changing it changes every generated shop.</summary>
internal static class Vocabulary
{
    public static readonly string[] Marketing =
    [
        "正品", "官方旗舰店", "新款", "2024新款", "包邮", "热卖", "爆款", "限时特惠", "顺丰包邮", "现货速发",
        "官方正品", "明星同款", "网红", "学生", "送礼", "高端", "品质", "加厚", "升级款", "旗舰款", "清仓", "特价",
    ];

    private static AttributeSpec A(string name, params string[] values) => new(name, values);

    private static readonly AttributeSpec WomenColour = A("颜色", "黑色", "白色", "红色", "蓝色", "粉色", "杏色", "绿色", "灰色", "酒红色", "卡其色");
    private static readonly AttributeSpec MenColour = A("颜色", "黑色", "白色", "藏青色", "灰色", "军绿色", "卡其色", "深蓝色", "咖啡色");
    private static readonly AttributeSpec ClothSize = A("尺码", "S", "M", "L", "XL", "XXL", "3XL", "均码");
    private static readonly AttributeSpec Season = A("季节", "春季", "夏季", "秋季", "冬季", "春秋款", "秋冬款");
    private static readonly AttributeSpec Fit = A("版型", "宽松", "修身", "直筒", "oversize", "显瘦", "高腰");
    private static readonly AttributeSpec WomenStyle = A("风格", "法式", "韩版", "复古", "简约", "气质", "甜美", "通勤", "ins风", "名媛");
    private static readonly AttributeSpec MenStyle = A("风格", "商务", "休闲", "潮牌", "美式", "日系", "工装", "运动");
    private static readonly AttributeSpec Fabric = A("材质", "纯棉", "雪纺", "真丝", "针织", "牛仔", "亚麻", "羊毛", "涤纶", "莫代尔");
    private static readonly AttributeSpec PhoneColour = A("颜色", "曜石黑", "冰霜银", "远峰蓝", "雅川青", "星空紫", "钛金属", "白色", "黑色");
    private static readonly AttributeSpec ShoeColour = A("颜色", "黑色", "白色", "黑白", "灰色", "蓝色", "红色", "荧光绿", "米白");
    private static readonly AttributeSpec ShoeSize = A("尺码", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45");
    private static readonly AttributeSpec SportFeature = A("功能", "透气", "减震", "防滑", "轻便", "耐磨", "防水", "速干", "缓震");
    private static readonly AttributeSpec SkinEffect = A("功效", "补水", "保湿", "美白", "抗老", "控油", "修护", "舒缓", "提亮", "紧致");
    private static readonly AttributeSpec SkinType = A("肤质", "干皮", "油皮", "敏感肌", "混合肌", "中性肌肤");
    private static readonly AttributeSpec SkinVolume = A("规格", "30ml", "50ml", "100ml", "120ml", "150g", "200ml", "15g");
    private static readonly AttributeSpec ApplianceFeature = A("特点", "智能", "变频", "家用", "大容量", "迷你", "静音", "节能", "多功能", "遥控");
    private static readonly AttributeSpec Energy = A("能效", "一级能效", "二级能效", "三级能效", "新一级能效");
    private static readonly AttributeSpec Flavour = A("口味", "原味", "香辣", "五香", "草莓味", "巧克力味", "麻辣", "奶香", "蜂蜜味", "海盐味");
    private static readonly AttributeSpec FoodPack = A("规格", "500g", "1kg", "250ml*12盒", "礼盒装", "罐装", "袋装", "整箱", "2斤装");
    private static readonly AttributeSpec BabyAge = A("适用年龄", "0-6个月", "6-12个月", "1-3岁", "3-6岁", "新生儿", "6岁以上");
    private static readonly AttributeSpec HomeColour = A("颜色", "白色", "灰色", "米色", "蓝色", "粉色", "原木色", "北欧绿", "奶油黄");
    private static readonly AttributeSpec HomeMaterial = A("材质", "全棉", "天丝", "磨毛", "乳胶", "记忆棉", "塑料", "不锈钢", "实木", "竹纤维");

    public static readonly CoarseSpec[] Categories =
    [
        new("女装",
            ["欧时力", "太平鸟", "伊芙丽", "VERO MODA", "ONLY", "拉夏贝尔", "秋水伊人", "茵曼", "韩都衣舍", "优衣库", "森马女装", "唐狮"],
            ["显瘦", "洋气", "小个子", "遮肉", "仙女", "时尚", "百搭", "减龄"],
            [
                new("连衣裙", ["连衣裙", "长裙", "裙子"], [WomenColour, ClothSize, WomenStyle, Fabric, Season], ["@####", "2024-@##", "L$###"], 59, 899),
                new("半身裙", ["半身裙", "短裙", "a字裙"], [WomenColour, ClothSize, Fit, WomenStyle, Fabric], ["@####", "Q$###"], 39, 499),
                new("T恤", ["T恤", "短袖t恤", "上衣"], [WomenColour, ClothSize, Fit, Fabric, Season], ["T$###", "@@###"], 19, 299),
                new("衬衫", ["衬衫", "衬衣"], [WomenColour, ClothSize, WomenStyle, Fabric, Fit], ["C$###", "@####"], 49, 599),
                new("针织衫", ["针织衫", "毛衣", "开衫"], [WomenColour, ClothSize, Fit, Fabric, Season], ["K$###", "@####"], 59, 799),
                new("羽绒服", ["羽绒服", "羽绒外套"], [WomenColour, ClothSize, Fit, WomenStyle, A("充绒", "白鸭绒", "白鹅绒", "90绒", "95绒")], ["Y$###", "@####"], 199, 2499),
            ]),
        new("男装",
            ["GXG", "杰克琼斯", "雅戈尔", "九牧王", "太平鸟男装", "利郎", "七匹狼", "海澜之家", "森马", "真维斯", "南极人男装"],
            ["帅气", "潮流", "百搭", "青年", "中年", "爸爸装", "大码"],
            [
                new("夹克", ["夹克", "外套", "夹克衫"], [MenColour, ClothSize, MenStyle, Season, Fabric], ["J$###", "@@####"], 99, 1299),
                new("卫衣", ["卫衣", "连帽卫衣"], [MenColour, ClothSize, MenStyle, Fit, Season], ["W$###", "@####"], 59, 599),
                new("牛仔裤", ["牛仔裤", "裤子", "长裤"], [MenColour, A("腰围", "28", "29", "30", "31", "32", "33", "34", "36"), Fit, MenStyle], ["N$###", "@####"], 69, 699),
                new("休闲裤", ["休闲裤", "裤子", "工装裤"], [MenColour, ClothSize, Fit, MenStyle, Fabric], ["P$###", "@####"], 49, 499),
                new("polo衫", ["polo衫", "短袖", "翻领t恤"], [MenColour, ClothSize, MenStyle, Fabric], ["P$##", "@####"], 59, 599),
                new("男士羽绒服", ["羽绒服", "羽绒外套", "棉服"], [MenColour, ClothSize, MenStyle, A("充绒", "白鸭绒", "白鹅绒", "90绒")], ["Y$###", "@@###"], 199, 2999),
            ]),
        new("手机数码",
            ["苹果", "华为", "三星", "小米", "荣耀", "OPPO", "vivo", "一加", "魅族", "realme", "红米", "倍思"],
            ["旗舰", "游戏", "长续航", "拍照", "国行", "全网通", "官方", "新品"],
            [
                new("手机", ["手机", "智能手机", "5G手机"], [PhoneColour, A("存储", "8+128G", "8+256G", "12+256G", "12+512G", "16+1T"), A("网络", "5G", "全网通", "双卡双待")], ["x$00", "K$0", "Mate$0", "note1$", "P$0 Pro", "Reno1$", "$$ Ultra", "nova1$"], 699, 8999),
                new("蓝牙耳机", ["耳机", "蓝牙耳机", "无线耳机"], [A("颜色", "白色", "黑色", "蓝色", "粉色"), A("类型", "入耳式", "半入耳", "头戴式", "骨传导"), A("功能", "降噪", "主动降噪", "运动", "低延迟")], ["Buds $", "FreeBuds $", "Air$", "@$ Pro"], 59, 1999),
                new("充电宝", ["充电宝", "移动电源"], [A("容量", "10000毫安", "20000毫安", "30000毫安", "5000毫安"), A("功能", "快充", "22.5W", "65W", "自带线", "磁吸")], ["PB$##", "@@-$##"], 39, 399),
                new("平板电脑", ["平板电脑", "平板", "ipad"], [A("尺寸", "10.9英寸", "11英寸", "12.4英寸", "8.7英寸"), A("存储", "128G", "256G", "512G", "8+256G"), A("网络", "WiFi", "5G版")], ["Pad $", "MatePad $$", "Tab S$", "Air $"], 999, 7999),
                new("智能手表", ["智能手表", "手表", "手环"], [A("颜色", "黑色", "银色", "粉色", "钛色"), A("功能", "心率", "血氧", "NFC", "GPS", "eSIM", "防水")], ["Watch $", "GT$", "手环$", "S$ Pro"], 149, 4999),
                new("相机镜头", ["镜头", "相机镜头", "微单镜头"], [A("焦段", "24-70mm", "70-200mm", "50mm", "85mm", "16-35mm", "24-105mm", "35mm"), A("光圈", "f1.8", "f2.8", "f4", "f1.4"), A("卡口", "E卡口", "RF卡口", "Z卡口", "L卡口")], ["@@ $$mm", "G$", "Art $$"], 999, 15999),
            ]),
        new("美妆护肤",
            ["雅诗兰黛", "兰蔻", "资生堂", "安热沙", "欧莱雅", "薇诺娜", "珀莱雅", "自然堂", "花西子", "完美日记", "百雀羚", "大宝"],
            ["学生党", "孕妇可用", "官方正品", "小样", "套装", "持久", "清爽", "温和"],
            [
                new("防晒霜", ["防晒霜", "防晒乳", "防晒喷雾"], [A("防晒指数", "spf50", "spf50+", "spf30", "pa++++", "spf50+ pa++++"), SkinType, SkinVolume, A("特点", "防水防汗", "清爽不油腻", "隔离", "军训")], ["@$$", "小金瓶", "$代"], 39, 399),
                new("面霜", ["面霜", "乳液", "保湿霜"], [SkinEffect, SkinType, SkinVolume], ["@$$", "$代", "面霜@@"], 49, 1999),
                new("口红", ["口红", "唇釉", "唇膏"], [A("色号", "#999", "316", "色号888", "斩男色", "豆沙色", "枫叶红", "奶茶色", "番茄红"), A("质地", "哑光", "丝绒", "滋润", "镜面", "雾面")], ["#$$$", "@$$", "小金条"], 39, 499),
                new("精华液", ["精华液", "精华", "原液"], [SkinEffect, SkinType, SkinVolume], ["小棕瓶", "神仙水", "@$$", "$代"], 99, 2999),
                new("洗面奶", ["洗面奶", "洁面乳", "洁面"], [SkinEffect, SkinType, A("规格", "100g", "120g", "150ml", "200ml")], ["@$$", "$代"], 19, 299),
                new("面膜", ["面膜", "贴片面膜", "睡眠面膜"], [SkinEffect, SkinType, A("规格", "10片", "20片", "5片装", "30片")], ["@$$", "$代"], 29, 599),
            ]),
        new("家用电器",
            ["戴森", "松下", "飞利浦", "西门子", "格力", "美的", "海尔", "苏泊尔", "九阳", "小熊", "奥克斯", "志高"],
            ["家用", "官方", "新款", "智能", "一级能效", "旗舰"],
            [
                new("电饭煲", ["电饭煲", "电饭锅"], [A("容量", "3L", "4L", "5L", "2L", "1.6L"), ApplianceFeature, A("内胆", "球釜内胆", "陶晶内胆", "不粘内胆", "铜釜")], ["@@-FB$0@", "@@-$0@$", "F$0@@"], 99, 1999),
                new("空气炸锅", ["空气炸锅", "炸锅"], [A("容量", "4.5L", "5L", "6L", "3.5L", "7L"), ApplianceFeature, A("功能", "可视", "免翻面", "触屏", "双锅")], ["@@-$$@", "KZ-$$0", "@$$00"], 129, 999),
                new("吸尘器", ["吸尘器", "无线吸尘器", "扫地机器人"], [ApplianceFeature, A("吸力", "大吸力", "15000Pa", "22000Pa", "6000Pa"), A("类型", "手持", "无线", "有线", "自动集尘")], ["V$$", "@$ Pro", "@@-$$0"], 199, 4999),
                new("电风扇", ["电风扇", "风扇", "落地扇"], [ApplianceFeature, A("类型", "落地扇", "台扇", "循环扇", "塔扇", "壁扇"), A("档位", "3档", "12档", "无极调速")], ["FS-$$@", "@@$$-$$"], 59, 899),
                new("空调", ["空调", "空调挂机", "柜机"], [A("匹数", "1匹", "1.5匹", "2匹", "3匹"), Energy, A("类型", "变频", "冷暖", "挂机", "柜机")], ["KFR-$5GW", "KFR-$2GW/@@", "@@-$$"], 1599, 8999),
                new("冰箱", ["冰箱", "电冰箱"], [A("容量", "215L", "320L", "470L", "508L", "600L"), Energy, A("类型", "双开门", "对开门", "三门", "十字门", "风冷无霜")], ["BCD-$$$@", "BCD-$$$W@"], 999, 12999),
            ]),
        new("运动户外",
            ["耐克", "阿迪达斯", "亚瑟士", "新百伦", "始祖鸟", "李宁", "安踏", "特步", "361度", "匹克", "鸿星尔克", "迪卡侬", "骆驼"],
            ["专业", "男女同款", "情侣", "运动", "户外", "官方"],
            [
                new("跑步鞋", ["跑步鞋", "跑鞋", "运动鞋"], [ShoeColour, ShoeSize, SportFeature], ["飞电$", "Air $$0", "Gel-$$", "$$0v$", "Ultra $"], 129, 1499),
                new("篮球鞋", ["篮球鞋", "球鞋"], [ShoeColour, ShoeSize, SportFeature, A("款式", "高帮", "低帮", "中帮")], ["KT$", "驭帅$$", "Zoom $", "@@-$"], 199, 1899),
                new("运动裤", ["运动裤", "卫裤", "束脚裤"], [MenColour, ClothSize, SportFeature, Season], ["@@$##", "K$##"], 59, 599),
                new("瑜伽垫", ["瑜伽垫", "健身垫"], [A("厚度", "6mm", "8mm", "10mm", "15mm"), A("材质", "TPE", "NBR", "天然橡胶", "PU"), SportFeature], ["Y$$", "@@-$$"], 29, 499),
                new("登山包", ["登山包", "双肩包", "背包"], [A("容量", "30L", "40L", "50L", "60L", "20L"), SportFeature, A("颜色", "黑色", "军绿", "橙色", "灰色")], ["@$$", "$$L Pro"], 99, 2999),
                new("帐篷", ["帐篷", "露营帐篷"], [A("人数", "2人", "3-4人", "5-8人", "单人"), SportFeature, A("类型", "自动速开", "户外", "天幕", "野营")], ["@@-$$", "云$"], 99, 3999),
            ]),
        new("食品饮料",
            ["茅台", "五粮液", "雀巢", "伊利", "蒙牛", "三只松鼠", "良品铺子", "百草味", "农夫山泉", "旺旺", "卫龙", "洽洽"],
            ["零食", "年货", "整箱", "囤货", "礼盒", "办公室", "新鲜", "网红零食"],
            [
                new("牛奶", ["牛奶", "纯牛奶", "酸奶"], [FoodPack, A("类型", "全脂", "脱脂", "低脂", "高钙", "有机")], ["$$0ml", "@$$"], 29, 199),
                new("坚果", ["坚果", "每日坚果", "混合坚果"], [Flavour, FoodPack, A("品类", "夏威夷果", "碧根果", "巴旦木", "腰果", "开心果")], ["$$包", "@$$"], 19, 299),
                new("咖啡", ["咖啡", "速溶咖啡", "咖啡豆"], [A("口味", "美式", "拿铁", "黑咖啡", "卡布奇诺", "无蔗糖"), FoodPack], ["$$条", "@$$"], 19, 399),
                new("茶叶", ["茶叶", "绿茶", "红茶"], [A("品种", "西湖龙井", "铁观音", "普洱", "金骏眉", "碧螺春", "大红袍"), FoodPack, A("等级", "特级", "一级", "明前", "雨前")], ["$$$g", "@$$"], 39, 999),
                new("零食大礼包", ["零食大礼包", "零食", "小吃"], [Flavour, FoodPack, A("场景", "送女友", "儿童", "休闲", "追剧")], ["$$包", "$$件套"], 19, 199),
                new("白酒", ["白酒", "酱香型白酒", "浓香型白酒"], [A("度数", "53度", "52度", "42度", "38度"), A("规格", "500ml", "500ml*6瓶", "礼盒装", "100ml")], ["$$年", "@$$"], 69, 3999),
            ]),
        new("母婴",
            ["爱他美", "美素佳儿", "花王", "帮宝适", "好奇", "飞鹤", "贝亲", "好孩子", "乐高", "可优比", "巴拉巴拉", "全棉时代"],
            ["婴儿", "宝宝", "新生儿", "儿童", "安全", "官方"],
            [
                new("纸尿裤", ["纸尿裤", "尿不湿", "拉拉裤"], [A("尺码", "NB", "S", "M", "L", "XL", "XXL"), A("规格", "60片", "84片", "100片", "整箱"), A("特点", "超薄", "透气", "干爽", "防漏")], ["@$", "$代"], 59, 399),
                new("奶粉", ["奶粉", "婴儿奶粉"], [A("段数", "1段", "2段", "3段", "4段"), A("规格", "800g", "900g", "400g", "罐装")], ["@$$", "$段"], 99, 599),
                new("婴儿推车", ["婴儿推车", "推车", "伞车"], [A("特点", "轻便", "可坐可躺", "一键折叠", "高景观", "避震"), BabyAge], ["@$$", "@@-$$"], 199, 4999),
                new("儿童玩具", ["儿童玩具", "玩具", "积木"], [BabyAge, A("类型", "益智", "拼装", "遥控", "早教", "过家家")], ["$$$$$", "@$$"], 29, 999),
                new("奶瓶", ["奶瓶", "宽口奶瓶"], [A("容量", "160ml", "240ml", "300ml", "330ml"), A("材质", "玻璃", "PPSU", "硅胶"), BabyAge], ["@$$", "$代"], 39, 299),
            ]),
        new("家居日用",
            ["宜家", "罗莱", "富安娜", "水星家纺", "网易严选", "洁丽雅", "南极人", "茶花", "天堂伞", "妙洁"],
            ["家用", "宿舍", "简约", "北欧", "加厚", "耐用"],
            [
                new("四件套", ["四件套", "床上用品", "床单被套"], [HomeColour, HomeMaterial, A("尺寸", "1.5m", "1.8m", "2.0m", "1.2m")], ["@$$$", "$$系列"], 99, 1999),
                new("枕头", ["枕头", "枕芯", "乳胶枕"], [HomeMaterial, A("特点", "护颈", "助眠", "单人", "一对装", "低枕")], ["@$$", "$代"], 29, 899),
                new("收纳箱", ["收纳箱", "收纳盒", "整理箱"], [HomeColour, HomeMaterial, A("容量", "35L", "55L", "100L", "3件套")], ["@$$", "$$L"], 19, 299),
                new("拖把", ["拖把", "平板拖把", "旋转拖把"], [HomeMaterial, A("特点", "免手洗", "懒人", "吸水", "360度")], ["@$$", "@@-$$"], 19, 299),
                new("毛巾", ["毛巾", "浴巾"], [HomeColour, HomeMaterial, A("规格", "3条装", "5条装", "70x140cm", "34x74cm")], ["@$$", "$条装"], 9, 199),
            ]),
    ];
}
